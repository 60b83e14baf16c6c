"""Document photos → document text: the machine-readable zone's lines or a PRC card's number.

PP-OCR's text detector boxes the photo's text lines; each long one is rectified and read by the
MRZ recogniser, its classes folded onto the MRZ alphabet (``A-Z 0-9 <``). Pure functions then
pick what a document holds: the MRZ's lines (consecutive lines of a 9303 layout's length, a
miscounted run of fillers put right) or an 18-character number. Verification is
``checkpoint.verify``'s. What is read lives only in the returned objects: nothing is logged.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from checkpoint.detect import DbTextDetector
from checkpoint.onnx_models import project_model
from checkpoint.read import rectify
from checkpoint.recognise import CtcRecogniser
from checkpoint.verify import LAYOUTS, Verification, correct_mrz, verify_cn_id, verify_mrz
from checkpoint.wire.edge import DocumentType, Verdict

_MRZ_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_FILLERS = re.compile(r"<+")
_CN_NUMBER = re.compile(r"[1-9]\d{16}[\dX]")
#: Look-alikes read in a PRC number, which holds only digits (and X last).
_CN_DIGITS = str.maketrans({"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2",
                            "S": "5", "B": "8", "G": "6", "T": "7"})
_MIN_MRZ_LINE = 24  # shorter lines are no MRZ line, however read (TD1's are 30)
#: Boxes less wide than this (width / height) are no text line (a portrait, a stamp) and are
#: not read. Short pieces are read: the detector can split a line where a shadow falls across
#: it, and the pieces are joined by row (``join_rows``).
MIN_LINE_RATIO = 2.0
MRZ_MODEL = "mrz_rec.onnx"  #: the project's OCR-B recogniser, in models/


def mrz_char(char: str) -> str:
    """What a recogniser's character reads as in an MRZ (NFKC, upper case), or "" for none."""
    folded = unicodedata.normalize("NFKC", char).upper()
    return folded if len(folded) == 1 and folded in _MRZ_ALPHABET else ""


@dataclass(frozen=True)
class TextLine:
    """A read line and where it lies (centre, height), for reading order and joining pieces."""

    text: str
    x: float
    y: float
    height: float


def join_rows(lines: list[TextLine]) -> list[TextLine]:
    """Pieces of one printed line (the detector can split a long MRZ line at a gap) joined left
    to right: pieces whose centres lie within half a line height of each other."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda ln: ln.y):
        if rows and abs(rows[-1][-1].y - line.y) < 0.5 * max(line.height, rows[-1][-1].height):
            rows[-1].append(line)
        else:
            rows.append([line])
    joined = []
    for row in rows:
        row.sort(key=lambda ln: ln.x)
        joined.append(TextLine("".join(ln.text for ln in row), row[0].x, row[0].y,
                               max(ln.height for ln in row)))
    return joined


def fit_length(line: str, length: int) -> str:
    """``line`` made ``length`` long where OCR miscounts: a line too short that ends in fillers
    (names, optional data: their fillers fade and get cut off) gets more at its end, any other
    grows its longest run of fillers; a line too long loses fillers from its longest run (every
    layout's longest run is fillers). Lines that cannot be fitted so come back as they are."""
    gap = length - len(line)
    if gap == 0:
        return line
    if gap > 0 and (line.endswith("<") or "<" not in line):
        return line + "<" * gap
    run = max(_FILLERS.finditer(line), key=lambda m: m.end() - m.start(), default=None)
    if run is None or run.end() - run.start() + gap < 1:
        return line
    return line[:run.start()] + "<" * (run.end() - run.start() + gap) + line[run.end():]


#: Each layout's lines that hold names (their ends are fillers that fade and get cut off: any
#: length up to the layout's is fitted); the others hold data and must be read near whole.
NAME_ROWS = {DocumentType.ICAO_TD1: 2, DocumentType.ICAO_TD2: 0, DocumentType.ICAO_TD3: 0}


def _fits(kind: DocumentType, group: list[TextLine]) -> bool:
    length = LAYOUTS[kind][1]
    slack = max(2, length // 10)
    return all((5 <= len(ln.text) <= length + slack) if row == NAME_ROWS[kind]
               else abs(len(ln.text) - length) <= slack for row, ln in enumerate(group))


def find_mrz(lines: list[TextLine]) -> tuple[DocumentType, list[str]] | None:
    """The machine-readable zone among a photo's lines: the lowest run of consecutive MRZ-like
    lines (read top to bottom) that fits a 9303 layout, each fitted to the layout's length and
    its look-alikes put right by field type. Letter-or-digit fields (the document number) are
    never guessed from their check digit: among a recogniser's doubts one swap in ten passes
    it by chance, which turns a forged document (one altered digit) into a valid one with
    someone else's number. A misread number fails its check and the officer retakes the photo."""
    candidates = [ln for ln in join_rows(lines) if "<" in ln.text or len(ln.text) >= _MIN_MRZ_LINE]
    for kind, (count, length) in sorted(LAYOUTS.items(), key=lambda kv: -kv[1][1]):
        for start in range(len(candidates) - count, -1, -1):
            group = candidates[start:start + count]
            if _fits(kind, group):
                return kind, correct_mrz([fit_length(ln.text, length) for ln in group])
    return None


def _as_cn_number(text: str) -> str:
    text = text.replace("<", "")
    return text[:-1].translate(_CN_DIGITS) + text[-1:]


def find_cn_number(lines: list[TextLine]) -> str | None:
    """An 18-character PRC resident ID number among the lines, look-alikes read as digits: a
    line that is one whole, else one inside a row joined from pieces (the field's label can
    stand on the number's row), lowest first."""
    for line in sorted(lines, key=lambda ln: -ln.y):
        if _CN_NUMBER.fullmatch(number := _as_cn_number(line.text)):
            return number
    for line in sorted(join_rows(lines), key=lambda ln: -ln.y):
        if match := _CN_NUMBER.search(_as_cn_number(line.text)):
            return match.group(0)
    return None


@dataclass(frozen=True)
class DocumentText:
    """What a photo's document says: an MRZ (its layout and lines) or a PRC number, or
    neither (unreadable)."""

    mrz: tuple[DocumentType, list[str]] | None
    cn_number: str | None


def verification_of(text: DocumentText, today: date) -> Verification:
    """What a photo's document text verifies as: its MRZ's, its PRC number's, or unreadable."""
    if text.mrz is not None:
        return verify_mrz(text.mrz[1], today)
    if text.cn_number is not None:
        return verify_cn_id(text.cn_number, today)
    return Verification(document_type=None, verdict=Verdict.UNREADABLE)


class DocumentReader:
    """PP-OCR's text detector (ONNX, from the rapidocr wheel) and an MRZ recogniser on
    document photos: the project's OCR-B model (``models/mrz_rec.onnx``) by default, PP-OCR's
    generic recogniser with ``mrz_model=None``."""

    def __init__(self, *, threads: int = 1, max_side: int = 640,
                 mrz_model: str | Path | None = MRZ_MODEL) -> None:
        self._lines = DbTextDetector(threads=threads, max_side=max_side)
        self._recogniser = CtcRecogniser(
            project_model(mrz_model) if mrz_model is not None else None, threads=threads,
            batch_size=8, alphabet=mrz_char)

    def lines(self, image: np.ndarray) -> list[TextLine]:
        """Every text line of the photo, read in the MRZ alphabet."""
        crops, places = [], []
        for det in self._lines.detect(image):
            crop = rectify(image, det.corners)
            if crop.shape[1] >= MIN_LINE_RATIO * crop.shape[0]:
                crops.append(crop)
                cx, cy = det.corners.mean(axis=0)
                places.append((float(cx), float(cy), float(crop.shape[0])))
        readings = self._recogniser.recognise(crops) if crops else []
        return [TextLine(r.text, x, y, h) for r, (x, y, h) in zip(readings, places) if r.text]

    def read(self, image: np.ndarray, kind: DocumentType | Literal["mrz"] | None = None
             ) -> DocumentText:
        """The document in the photo; ``kind`` (when the officer chose one) narrows the search:
        one document type, ``"mrz"`` for any ICAO layout, None for anything."""
        lines = self.lines(image)
        want_cn = kind in (None, DocumentType.CN_RESIDENT_ID)
        mrz = find_mrz(lines) if kind != DocumentType.CN_RESIDENT_ID else None
        if mrz is not None and kind not in (None, "mrz", mrz[0]):
            mrz = None
        return DocumentText(mrz, find_cn_number(lines) if want_cn and mrz is None else None)
