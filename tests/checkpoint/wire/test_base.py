"""The base every event and config shares: strict, frozen, versioned, with readable errors."""
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from checkpoint.wire.base import ContractError, Event, StrictModel, decode, validation_problems


class Ping(Event):
    sent: datetime


class Knob(StrictModel):
    level: int


def test_every_event_gets_a_distinct_time_ordered_id():
    ids = [Ping(sent=datetime.now(timezone.utc)).event_id for _ in range(50)]
    assert len(set(ids)) == 50
    assert ids == sorted(ids)  # UUIDv7: creation order


@pytest.mark.parametrize("raw, reason", [
    (b"not json", "Invalid JSON"),
    (b"{}", "sent"),
    (b"[1, 2]", "Ping invalid"),
    (None, "empty message"),
    (b'{"sent": "2026-12-01T08:00:00Z", "schema_version": 2}', "schema_version"),
])
def test_decode_explains_what_is_wrong(raw, reason):
    with pytest.raises(ContractError, match=reason):
        decode(Ping, raw)


def test_strict_models_are_frozen_and_refuse_unknown_fields_naming_them():
    knob = Knob(level=1)
    with pytest.raises(ValidationError):
        knob.level = 2
    with pytest.raises(ValidationError) as err:
        Knob.model_validate({"level": "high", "colour": "red"})
    assert validation_problems(err.value) == [
        "level: Input should be a valid integer, unable to parse string as an integer",
        "colour: Extra inputs are not permitted"]
