"""The stream's consume loop: bad messages and handler bugs are dead-lettered one by one, the
rest of a batch is still handled (a fake stream, state and outbox; the real ones are covered by
tests/integration/test_deadletter.py)."""
import asyncio
from datetime import datetime, timezone
from types import SimpleNamespace

from checkpoint.wire.base import encode
from checkpoint.wire.edge import VehiclePassage
from stream.config import StreamConfig
from stream.consume import consume
from stream.match import WatchlistIndex
from stream.runtime import Runtime
from tests.stream.fakes import FakeHistory

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def passage(plate: str) -> bytes:
    return encode(VehiclePassage(checkpoint_id="cp", lane="1", camera_id="c1", first_seen=NOW,
                                 last_seen=NOW, plate=plate, plate_confidence=0.9,
                                 dwell_seconds=1.0))


class FakeStream:
    def __init__(self, *batches: list[bytes]) -> None:
        self.batches = batches

    async def take_events(self, max_: int, within: float):
        offset = 0
        for batch in self.batches:
            events = []
            for value in batch:
                message = SimpleNamespace(topic="kakou.passages", partition=0, offset=offset,
                                          key=b"cp", value=value)
                events.append(SimpleNamespace(value=value, message=message))
                offset += 1
            yield events


class FakeState:
    def __init__(self) -> None:
        self.recorded: list[int] = []

    async def dead_letter_seen(self, topic, partition, offset) -> bool:
        return offset in self.recorded

    async def record_dead_letter(self, topic, partition, offset) -> None:
        self.recorded.append(offset)


class FakeOutbox:
    def __init__(self) -> None:
        self.letters = []

    async def send_dead_letter(self, key, letter) -> None:
        self.letters.append(letter)


def test_a_batch_that_trips_a_bug_is_handled_again_one_by_one():
    handled: list[str] = []
    outbox, state = FakeOutbox(), FakeState()
    rt = Runtime(StreamConfig(), state, outbox, WatchlistIndex(), FakeHistory())

    async def handle(items: list[VehiclePassage]) -> None:
        if any(p.plate == "BOOM1" for p in items):
            raise RuntimeError("a bug")
        handled.extend(p.plate for p in items)

    asyncio.run(consume(rt, FakeStream([passage("KA1"), b"{not json", passage("BOOM1"),
                                        passage("KA2")], [passage("KA3")]), VehiclePassage, handle))
    assert handled == ["KA1", "KA2", "KA3"]
    assert [letter.source_offset for letter in outbox.letters] == [1, 2]
    assert "VehiclePassage invalid" in outbox.letters[0].error
    assert outbox.letters[1].error == "processing failed: RuntimeError: a bug"
    assert state.recorded == [1, 2]


def test_a_message_too_large_to_carry_is_dead_lettered_by_digest_and_the_next_one_too():
    import base64
    import hashlib

    from checkpoint.wire.base import encode as encode_event
    from stream.consume import CARRY_MAX_BYTES, ERROR_MAX_CHARS

    huge = b'{"plate": "' + b"X" * 900_000 + b'"}'    # malformed, near the broker's limit
    outbox, state = FakeOutbox(), FakeState()
    rt = Runtime(StreamConfig(), state, outbox, WatchlistIndex(), FakeHistory())
    handled: list[str] = []

    async def handle(items):
        handled.extend(p.plate for p in items)

    asyncio.run(consume(rt, FakeStream([huge, b"\xff\xfe bad utf-8", passage("KA1")]),
                        VehiclePassage, handle))
    big, small = outbox.letters
    assert (big.value_b64, big.value_bytes) == (None, len(huge))
    assert big.value_sha256 == hashlib.sha256(huge).hexdigest()
    assert (big.source_topic, big.source_offset) == ("kakou.passages", 0)
    assert len(encode_event(big)) < 64 * 1024          # far under the 1 MiB request limit
    assert base64.b64decode(small.value_b64) == b"\xff\xfe bad utf-8" and small.value_sha256 is None
    assert handled == ["KA1"]
    assert len(huge) > CARRY_MAX_BYTES and len(big.error) <= ERROR_MAX_CHARS + 40
