"""``checkpoint eval-ids``: document photos read and verified as the box does, against their
labels: the read rate, the verification accuracy, and the milliseconds per photo.

A folder holds the photos and a ``labels.csv`` (``checkpoint.lab.documents.LABEL_COLUMNS``:
image, document_type, text with MRZ lines joined by ``|``, verdict, check_date), as
``checkpoint render-ids`` writes it. A photo is *read* when the text read is the document's
exactly, *verified* when its verdict is the label's, and right when both.
"""
from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from checkpoint.documents import DocumentReader, DocumentText, verification_of
from checkpoint.lab.documents import LABEL_COLUMNS, Document
from checkpoint.wire.edge import DocumentType, Verdict


class LabelError(ValueError):
    """A labels.csv that cannot be used; says which line and why."""


@dataclass(frozen=True)
class Judgement:
    read: bool
    verified: bool
    verdict: Verdict

    @property
    def right(self) -> bool:
        return self.read and self.verified


def judge(doc: Document, text: DocumentText) -> Judgement:
    got = tuple(text.mrz[1]) if text.mrz else (text.cn_number,) if text.cn_number else ()
    v = verification_of(text, doc.check_date)
    return Judgement(read=got == doc.lines, verified=v.verdict == doc.verdict, verdict=v.verdict)


def load_labels(folder: Path) -> list[tuple[str, Document]]:
    path = folder / "labels.csv"
    try:
        rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    except OSError as exc:
        raise LabelError(f"{path}: cannot read: {exc.strerror}") from None
    out = []
    for line, row in enumerate(rows, start=2):
        missing = [c for c in LABEL_COLUMNS if not (row.get(c) or "").strip()]
        if missing:
            raise LabelError(f"{path}: line {line}: no {', '.join(missing)}")
        try:
            doc = Document(DocumentType(row["document_type"]), tuple(row["text"].split("|")),
                           Verdict(row["verdict"]), date.fromisoformat(row["check_date"]))
        except ValueError as exc:
            raise LabelError(f"{path}: line {line}: {exc}") from None
        out.append((row["image"], doc))
    return out


def evaluate_ids(folder: Path, reader: DocumentReader, *, progress: bool = True) -> dict:
    """The figures of one folder: read, verified and both, overall and per document type;
    verdicts given; median and 95th-percentile milliseconds per photo (reading only)."""
    labels = load_labels(folder)
    per_type: dict[str, list[Judgement]] = {}
    verdicts: Counter[str] = Counter()
    ms, missing = [], []
    for name, doc in tqdm(labels, desc="documents", disable=not progress):
        image = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        if image is None:
            missing.append(name)
            continue
        start = time.perf_counter()
        text = reader.read(image)
        ms.append((time.perf_counter() - start) * 1000)
        j = judge(doc, text)
        per_type.setdefault(doc.kind.value, []).append(j)
        verdicts[j.verdict.value] += 1

    def figures(js: list[Judgement]) -> dict:
        n = max(len(js), 1)
        return {"photos": len(js), "read": round(sum(j.read for j in js) / n, 4),
                "verified": round(sum(j.verified for j in js) / n, 4),
                "read_and_verified": round(sum(j.right for j in js) / n, 4)}

    everything = [j for js in per_type.values() for j in js]
    return {"folder": str(folder), **figures(everything),
            "by_document_type": {k: figures(v) for k, v in sorted(per_type.items())},
            "verdicts_given": dict(verdicts),
            "median_ms": round(float(np.median(ms)), 1) if ms else None,
            "p95_ms": round(float(np.percentile(ms, 95)), 1) if ms else None,
            "unreadable_files": missing}
