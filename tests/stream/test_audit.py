"""The hash chain: any altered, deleted, inserted or reordered record is found, by its seq."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from stream.audit import GENESIS, AuditRecord, next_record, record_hash, verify_chain

T0 = datetime(2025, 1, 1, 8, 0, tzinfo=timezone.utc)


def chain(n: int) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    seq, prev = 0, GENESIS
    for i in range(n):
        record = next_record(seq, prev, time=T0 + timedelta(seconds=i), actor=f"officer{i % 2}",
                             action="watchlist.update", target=f"e{i}", reason=f"case work {i}",
                             case_number="C-1" if i % 2 else None,
                             details={"changed": {"priority": {"before": 2, "after": 1}},
                                      "note": "車牌 ✓"})
        records.append(record)
        seq, prev = record.seq, record.hash
    return records


def tampered(record: AuditRecord, **changes: object) -> AuditRecord:
    return record.model_copy(update=changes)


def test_a_fresh_chain_verifies_and_starts_at_genesis():
    records = chain(5)
    assert verify_chain(records) == []
    assert verify_chain([]) == []
    assert records[0].seq == 1 and records[0].prev_hash == GENESIS
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]


def test_record_hash_is_sha256_of_canonical_json_without_the_hash():
    record = chain(1)[0]
    fields = record.model_dump(mode="json")
    assert record_hash(fields) == record.hash
    assert record_hash({k: v for k, v in reversed(fields.items())}) == record.hash  # key order
    assert record_hash({**fields, "hash": "f" * 64}) == record.hash  # the hash field is excluded
    assert record_hash({**fields, "reason": fields["reason"] + " "}) != record.hash


@pytest.mark.parametrize("field, value", [
    ("actor", "someone-else"), ("action", "watchlist.delete"), ("target", "e9"),
    ("reason", "covering tracks"), ("case_number", "C-2"), ("details", {}),
    ("time", T0 + timedelta(days=1)), ("seq", 9), ("prev_hash", "a" * 64), ("hash", "b" * 64),
])
def test_tampering_with_any_field_is_detected_at_that_seq(field, value):
    records = chain(4)
    records[2] = tampered(records[2], **{field: value})
    problems = verify_chain(records)
    assert problems and problems[0].startswith(f"seq {records[2].seq}:"), problems
    assert all(p.startswith((f"seq {records[2].seq}:", "seq 4:")) for p in problems), problems


def test_a_tampered_record_with_a_recomputed_hash_breaks_the_next_link():
    records = chain(4)
    forged = tampered(records[1], reason="covering tracks")
    records[1] = tampered(forged, hash=record_hash(forged.model_dump(mode="json")))
    assert verify_chain(records) == ["seq 3: prev_hash is not the hash of the record before it"]


@pytest.mark.parametrize("index", [0, 2, 4])
def test_deleting_a_record_is_detected(index):
    records = chain(5)
    removed = records.pop(index)
    problems = verify_chain(records)
    if index == 4:  # the chain alone cannot see a cut tail; AuditLog checks its head for that
        assert problems == []
    else:
        assert f"seq {removed.seq + 1}: expected seq {removed.seq} " \
               "(a record is missing, inserted or out of order)" in problems


def test_reordering_records_is_detected():
    records = chain(4)
    records[1], records[2] = records[2], records[1]
    problems = verify_chain(records)
    assert any(p.startswith("seq 3: expected seq 2") for p in problems)
    assert any(p.startswith("seq 2: expected seq 4") for p in problems)


def test_inserting_a_well_formed_record_is_detected():
    records = chain(4)
    forged = next_record(records[1].seq, records[1].hash, time=T0, actor="mallory",
                         action="watchlist.delete", target="e1", reason="x")
    records.insert(2, forged)
    problems = verify_chain(records)
    assert "seq 3: expected seq 4 (a record is missing, inserted or out of order)" in problems
    assert "seq 3: prev_hash is not the hash of the record before it" in problems


def test_records_are_strict_about_their_fields():
    fields = chain(1)[0].model_dump()
    with pytest.raises(ValidationError, match="extra"):
        AuditRecord.model_validate({**fields, "extra": 1})
    with pytest.raises(ValidationError, match="prev_hash"):
        AuditRecord.model_validate({**fields, "prev_hash": "xyz"})
    with pytest.raises(ValidationError, match="time"):
        AuditRecord.model_validate({**fields, "time": datetime(2025, 1, 1)})
    with pytest.raises(ValidationError, match="actor"):
        next_record(0, GENESIS, time=T0, actor="", action="login", target="", reason="")


def test_times_are_stored_in_utc_so_the_hash_is_stable():
    beijing = timezone(timedelta(hours=8))
    record = next_record(0, GENESIS, time=T0.astimezone(beijing), actor="a", action="login",
                         target="", reason="")
    assert record.time.utcoffset() == timedelta(0)
    assert record == AuditRecord.model_validate_json(record.model_dump_json())
    assert verify_chain([AuditRecord.model_validate_json(record.model_dump_json())]) == []
