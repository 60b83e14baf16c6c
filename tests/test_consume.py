"""The stream's consume loop: bad messages and handler bugs are dead-lettered one by one, the
rest of a batch is still handled (a fake stream and dead-letter sink; the real ones are covered
by tests/integration/test_deadletter.py)."""
import asyncio
from datetime import datetime, timezone
from types import SimpleNamespace

import stream.app as app
from checkpoint.contracts import VehiclePassage, encode

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def passage(plate: str) -> bytes:
    return encode(VehiclePassage(checkpoint_id="cp", lane="1", camera_id="c1", first_seen=NOW,
                                 last_seen=NOW, plate=plate, plate_confidence=0.9,
                                 dwell_seconds=1.0))


class FakeStream:
    def __init__(self, *batches: list[bytes]) -> None:
        self.batches = batches

    async def take_events(self, max_: int, within: float):
        for batch in self.batches:
            yield [SimpleNamespace(value=value) for value in batch]


def test_a_batch_that_trips_a_bug_is_handled_again_one_by_one(monkeypatch):
    lettered: list[tuple[bytes, str]] = []
    handled: list[str] = []

    async def dead_letter(event, error: str) -> None:
        lettered.append((event.value, error))

    async def handle(items: list[VehiclePassage]) -> None:
        if any(p.plate == "BOOM1" for p in items):
            raise RuntimeError("a bug")
        handled.extend(p.plate for p in items)

    monkeypatch.setattr(app, "_dead_letter_event", dead_letter)
    bad = passage("BOOM1")
    asyncio.run(app.consume(FakeStream([passage("KA1"), b"{not json", bad, passage("KA2")],
                                       [passage("KA3")]), VehiclePassage, handle))
    assert handled == ["KA1", "KA2", "KA3"]
    assert [value for value, _ in lettered] == [b"{not json", bad]
    assert "VehiclePassage invalid" in lettered[0][1]
    assert lettered[1][1] == "processing failed: RuntimeError: a bug"
