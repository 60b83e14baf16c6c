"""The IdCheck event built from a verification (checkpoint/idcheck.py): what it carries, and
that nothing about the person does."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from checkpoint.idcheck import id_check
from checkpoint.verify import verify_cn_id, verify_mrz
from checkpoint.wire.edge import DocumentType, Verdict
from checkpoint.wire.pseudonym import PseudonymKey, subject_tag

KEY = PseudonymKey("k7", b"0123456789abcdef0123")
NOW = datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)
TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def _event(verification, **kw):
    return id_check(verification, checkpoint_id="jinan-01", lane="2", time=NOW, key=KEY, **kw)


def test_carries_the_verdict_checks_and_tag_and_nothing_about_the_person():
    event = _event(verify_mrz(TD3, date(2026, 12, 1)), passage_id="p-1")
    assert (event.document_type, event.issuing_state, event.verdict, event.passage_id) == (
        DocumentType.ICAO_TD3, "UTO", Verdict.EXPIRED, "p-1")
    assert event.checks["not_expired"] == "fail" and event.checks["composite_check_digit"] == "pass"
    assert event.subject_tag == subject_tag("icao-td3", "L898902C3", KEY) and event.key_id == "k7"
    wire = event.model_dump_json()
    for private in ("L898902C3", "ERIKSSON", "ANNA", "740812", TD3[1]):
        assert private not in wire


def test_a_cn_id_is_tagged_as_its_own_type():
    event = _event(verify_cn_id("11010519491231002X", date(2026, 12, 1)))
    assert event.verdict == Verdict.VALID and event.issuing_state == "CHN"
    assert event.subject_tag == subject_tag("cn-resident-id", "11010519491231002X", KEY)
    assert "11010519491231002X" not in event.model_dump_json()


def test_an_unreadable_document_has_no_tag_and_its_submitted_type():
    v = verify_mrz(["NOT A ZONE"], date(2026, 12, 1))
    event = _event(v, submitted=DocumentType.ICAO_TD1)
    assert (event.verdict, event.document_type, event.subject_tag, event.key_id) == (
        Verdict.UNREADABLE, DocumentType.ICAO_TD1, None, None)
    with pytest.raises(ValueError, match="submitted"):
        _event(v)
