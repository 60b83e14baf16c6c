"""The stream's and the console's events on the wire."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from checkpoint.wire.base import ContractError, decode, encode
from stream.wire import (Alert, DeadLetter, MatchExplanation, StatusAlert, WatchlistEntry,
                         alert_id_for, decode_alert)

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def entry(**overrides) -> WatchlistEntry:
    fields = dict(entry_id="e1", list="stolen", plate="KA482BC", category="stolen vehicle",
                  priority=1, disposal="stop", created_by="tester")
    return WatchlistEntry(**(fields | overrides))


def alert() -> Alert:
    return Alert(alert_id=alert_id_for("e1", "p1"), raised_at=T0, checkpoint_id="cp",
                 passage_id="p1", plate="KA482BC", entry=entry(),
                 match=MatchExplanation(type="exact", read="KA482BC"), priority=1,
                 disposal="stop")


def test_alert_id_is_deterministic_per_entry_and_passage():
    assert alert_id_for("e1", "p1") == alert_id_for("e1", "p1")
    assert len({alert_id_for("e1", "p1"), alert_id_for("e2", "p1"), alert_id_for("e1", "p2")}) == 3


def test_watchlist_entry_needs_exactly_one_of_plate_or_pattern():
    with pytest.raises(ValueError, match="exactly one"):
        entry(pattern="KA*")
    with pytest.raises(ValueError, match="exactly one"):
        entry(plate=None)
    assert entry(plate=None, pattern="KA*").pattern == "KA*"


def test_watchlist_entry_validity_window():
    e = entry(valid_from=T0, valid_until=T0 + timedelta(days=1))
    assert not e.active_at(T0 - timedelta(seconds=1))
    assert e.active_at(T0)
    assert not e.active_at(T0 + timedelta(days=1))
    with pytest.raises(ValueError, match="valid_until"):
        entry(valid_from=T0, valid_until=T0)


def test_alerts_of_both_kinds_round_trip_through_one_topic():
    watch = alert()
    assert decode(Alert, encode(watch)) == watch
    assert decode_alert(encode(watch)) == watch
    status = StatusAlert(kind="checkpoint-offline", alert_id="a1", raised_at=T0,
                         checkpoint_id="cp", detail="no heartbeat for 31 s")
    assert decode_alert(encode(status)) == status
    without_kind = {k: v for k, v in json.loads(encode(watch)).items() if k != "kind"}
    assert decode_alert(json.dumps(without_kind).encode()) == watch   # a watchlist alert
    with pytest.raises(ContractError):
        decode_alert(b"[]")


def test_a_dead_letter_keeps_where_the_message_came_from():
    letter = DeadLetter(source_topic="kakou.passages", source_partition=2, source_offset=41,
                        key_b64=None, value_b64="e30=", error="bad", failed_at=T0)
    assert decode(DeadLetter, encode(letter)) == letter
    assert "event_id" not in json.loads(encode(letter))
