import json
from datetime import datetime, timedelta, timezone

import pytest

from checkpoint.wire.base import ContractError, decode, encode
from checkpoint.wire.edge import Heartbeat, IdCheck, VehiclePassage
from stream.wire import Alert, MatchExplanation, WatchlistEntry, alert_id_for

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def passage(**overrides) -> VehiclePassage:
    fields = dict(checkpoint_id="cp-1", lane="1", camera_id="cam-1", first_seen=T0,
                  last_seen=T0 + timedelta(seconds=3), plate="KA482BC", plate_confidence=0.9,
                  dwell_seconds=3.0)
    return VehiclePassage(**(fields | overrides))


def entry(**overrides) -> WatchlistEntry:
    fields = dict(entry_id="e1", list="stolen", plate="KA482BC", category="stolen vehicle",
                  priority=1, disposal="stop", created_by="tester")
    return WatchlistEntry(**(fields | overrides))


def test_passage_round_trips_through_json():
    p = passage()
    back = decode(VehiclePassage, encode(p))
    assert back == p
    assert json.loads(encode(p))["schema_version"] == 1


def test_every_event_gets_a_distinct_time_ordered_id():
    ids = [passage().event_id for _ in range(50)]
    assert len(set(ids)) == 50
    assert ids == sorted(ids)  # UUIDv7: creation order


@pytest.mark.parametrize("raw, reason", [
    (b"not json", "Invalid JSON"),
    (b"{}", "checkpoint_id"),
    (b"[1, 2]", "VehiclePassage invalid"),
    (None, "empty message"),
])
def test_decode_explains_what_is_wrong(raw, reason):
    with pytest.raises(ContractError, match=reason):
        decode(VehiclePassage, raw)


def test_decode_rejects_unknown_fields_and_other_versions():
    good = json.loads(encode(passage()))
    with pytest.raises(ContractError, match="extra_field"):
        decode(VehiclePassage, json.dumps(good | {"extra_field": 1}).encode())
    with pytest.raises(ContractError, match="schema_version"):
        decode(VehiclePassage, json.dumps(good | {"schema_version": 2}).encode())


def test_decode_rejects_naive_times_and_bad_confidences():
    good = json.loads(encode(passage()))
    with pytest.raises(ContractError, match="first_seen"):
        decode(VehiclePassage, json.dumps(good | {"first_seen": "2026-11-30T08:00:00"}).encode())
    with pytest.raises(ContractError, match="plate_confidence"):
        decode(VehiclePassage, json.dumps(good | {"plate_confidence": 1.5}).encode())


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


def test_idcheck_carries_only_a_pseudonymous_tag():
    check = IdCheck(checkpoint_id="cp", lane="1", time=T0, document_type="cn-resident-id",
                    verdict="valid", subject_tag="0" * 32, key_id="k1")
    assert decode(IdCheck, encode(check)) == check
    with pytest.raises(ValueError, match="subject_tag"):
        IdCheck(checkpoint_id="cp", lane="1", time=T0, document_type="cn-resident-id",
                verdict="valid", subject_tag="110101199003077777")


def test_heartbeat_and_alert_round_trip():
    beat = Heartbeat(checkpoint_id="cp", time=T0, spool_depth=3)
    assert decode(Heartbeat, encode(beat)) == beat
    alert = Alert(alert_id=alert_id_for("e1", "p1"), raised_at=T0, checkpoint_id="cp",
                  passage_id="p1", plate="KA482BC", entry=entry(),
                  match=MatchExplanation(type="exact", read="KA482BC"), priority=1,
                  disposal="stop")
    assert decode(Alert, encode(alert)) == alert
