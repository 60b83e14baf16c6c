"""The edge's events on the wire: round trips, strictness, and what an ID check may carry."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from checkpoint.wire.base import ContractError, decode, encode
from checkpoint.wire.edge import Heartbeat, IdCheck, VehiclePassage

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def passage(**overrides) -> VehiclePassage:
    fields = dict(checkpoint_id="cp-1", lane="1", camera_id="cam-1", first_seen=T0,
                  last_seen=T0 + timedelta(seconds=3), plate="KA482BC", plate_confidence=0.9,
                  dwell_seconds=3.0)
    return VehiclePassage(**(fields | overrides))


def test_passage_round_trips_through_json():
    p = passage()
    back = decode(VehiclePassage, encode(p))
    assert back == p
    assert json.loads(encode(p))["schema_version"] == 1


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


def test_idcheck_carries_only_a_pseudonymous_tag():
    check = IdCheck(checkpoint_id="cp", lane="1", time=T0, document_type="cn-resident-id",
                    verdict="valid", subject_tag="0" * 32, key_id="k1")
    assert decode(IdCheck, encode(check)) == check
    with pytest.raises(ValueError, match="subject_tag"):
        IdCheck(checkpoint_id="cp", lane="1", time=T0, document_type="cn-resident-id",
                verdict="valid", subject_tag="110101199003077777")


def test_heartbeat_round_trips():
    beat = Heartbeat(checkpoint_id="cp", time=T0, spool_depth=3)
    assert decode(Heartbeat, encode(beat)) == beat
