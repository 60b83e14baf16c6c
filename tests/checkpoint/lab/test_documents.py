"""The synthetic documents (checkpoint/lab/documents.py) verify as they are labelled, and
``eval-ids`` (checkpoint/lab/evaluate_ids.py) judges and reports a labelled folder."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from checkpoint.documents import DocumentReader, DocumentText
from checkpoint.lab.documents import KINDS, make_cn_id, make_document, make_mrz, write_set
from checkpoint.lab.evaluate_ids import LabelError, evaluate_ids, judge, load_labels
from checkpoint.verify import verify_cn_id, verify_mrz
from checkpoint.wire.edge import DocumentType, Verdict

TODAY = date(2026, 12, 1)
MRZ_KINDS = (DocumentType.ICAO_TD1, DocumentType.ICAO_TD2, DocumentType.ICAO_TD3)


@pytest.mark.parametrize("kind", MRZ_KINDS)
def test_made_mrzs_verify_as_made(kind):
    rng = np.random.default_rng(1)
    for _ in range(200):
        assert verify_mrz(list(make_mrz(rng, kind, TODAY)), TODAY).verdict == Verdict.VALID
        assert verify_mrz(list(make_mrz(rng, kind, TODAY, expired=True)), TODAY).failed == \
            ["not_expired"]
        forged = verify_mrz(list(make_mrz(rng, kind, TODAY, forged=True)), TODAY)
        assert forged.verdict == Verdict.INVALID
        assert "document_number_check_digit" in forged.failed


def test_made_prc_numbers_verify_as_made():
    rng = np.random.default_rng(2)
    for _ in range(200):
        made = verify_cn_id(make_cn_id(rng, TODAY), TODAY)
        assert made.verdict == Verdict.VALID and made.warnings == ()
        assert verify_cn_id(make_cn_id(rng, TODAY, forged=True), TODAY).failed == \
            ["check_character"]


def test_judge_reads_and_verdicts():
    rng = np.random.default_rng(3)
    doc = make_document(rng, "icao-td3", TODAY)
    assert judge(doc, DocumentText((doc.kind, list(doc.lines)), None)).right
    wrong = list(doc.lines)
    wrong[1] = ("1" if wrong[1][0] != "1" else "2") + wrong[1][1:]
    j = judge(doc, DocumentText((doc.kind, wrong), None))
    assert not j.read and j.verdict == Verdict.INVALID
    nothing = judge(doc, DocumentText(None, None))
    assert (nothing.read, nothing.verdict) == (False, Verdict.UNREADABLE)


def test_a_written_set_is_labelled_and_bad_labels_name_their_line(tmp_path):
    docs = write_set(tmp_path / "ids", 4, seed=5, today=TODAY)
    labels = load_labels(tmp_path / "ids")
    assert [d for _, d in labels] == docs and [d.kind.value for d in docs] == list(KINDS)
    text = (tmp_path / "ids" / "labels.csv").read_text().splitlines()
    text[3] = text[3].replace("icao-td3", "visa")
    (tmp_path / "ids" / "labels.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(LabelError, match="line 4"):
        load_labels(tmp_path / "ids")


def test_eval_ids_reports_a_folder(tmp_path):
    write_set(tmp_path / "ids", 8, seed=6, today=TODAY)
    report = evaluate_ids(tmp_path / "ids", DocumentReader(), progress=False)
    assert report["photos"] == 8 and set(report["by_document_type"]) == set(KINDS)
    assert report["read_and_verified"] >= 0.75, report
    assert report["median_ms"] > 0 and sum(report["verdicts_given"].values()) == 8
