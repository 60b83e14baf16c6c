"""Plate crops → text: CTC recognition with per-character confidences and next-best reads.

The default recogniser is PP-OCR's text recogniser (ONNX, character set in its metadata). Crops
are batched by width; the CTC output is folded onto plate characters and decoded
(``checkpoint.ctc``), the runner-up character at the closest calls giving the alternatives the
stream's fuzzy matcher also tries.

A recogniser may read each crop in several views (``views``): as found, a little tighter, looser
and shifted. Each view's reads are candidates, and the text likeliest over all views (the CTC
likelihood, summed) is kept: the detector's corners wander by a few per cent, and a character one
framing cuts or crowds another reads whole. A crop cut with ``context`` (the scene around the
found corners, ``CtcRecogniser.context``) gives the looser views real pixels where a character
was cut off, not the crop's edge repeated.

A recogniser given its region's plate formats (``checkpoint.grammar.position_formats``) reads
a plate as the likeliest text that is one. The decoding itself is ``checkpoint.ctc``.

A model that reads two-row plates (CN) tells them by shape: a crop narrower than its
``two_rows_below`` ratio is laid out as one line (``one_row``). A one-row plate seen from the
side, or framed tilted, is as narrow; a crop whose ratio could be either is read both ways
(``layouts``), the one-row way widened to a one-row plate's shape (``widened``), and the surer
read kept.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from checkpoint.ctc import PlateFormats, PlateVocabulary, Reading, best_of_views, ctc_decode
from checkpoint.grammar import PositionFormat
from checkpoint.onnx_models import ModelError, bundled_model, session

DEFAULT_REC_MODEL = "PP-OCRv6_rec_small.onnx"
REC_HEIGHT = 48
#: Crops narrower than this width / height ratio are padded to it. PP-OCR reads best unpadded; a
#: model trained on padded batches names its own ratio in its metadata (``min_width_ratio``),
#: so that it reads crops framed as it was trained.
MIN_WIDTH_RATIO = 1.0
#: The framings of a multi-view read, first the crop as found: (left, top, right, bottom) margins
#: as shares of the crop's width and height, positive inward.
VIEWS: tuple[tuple[float, float, float, float], ...] = (
    (0.0, 0.0, 0.0, 0.0),
    (0.03, 0.05, 0.03, 0.05),      # tighter
    (-0.03, -0.06, -0.03, -0.06),  # looser
    (0.02, 0.0, -0.02, 0.0),       # window moved right
    (-0.02, 0.0, 0.02, 0.0),       # window moved left
)


class PlateRecogniser(Protocol):
    #: The scene around a plate, (x, y) shares of its size on each side, it wants in a crop.
    context: tuple[float, float]

    def recognise(self, crops: list[np.ndarray],
                  context: tuple[float, float] = (0.0, 0.0)) -> list[Reading]: ...


def prepare_crop(crop: np.ndarray, width: int) -> np.ndarray:
    h, w = crop.shape[:2]
    resized_w = min(width, max(1, int(np.ceil(REC_HEIGHT * w / max(h, 1)))))
    img = cv2.resize(crop, (resized_w, REC_HEIGHT)).astype(np.float32)
    out = np.zeros((3, REC_HEIGHT, width), np.float32)
    out[:, :, :resized_w] = ((img / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
    return out


#: Where a two-row plate's rows lie, as shares of its height and width (GA 36, 440 x 220 mm:
#: province and letter in the top 15-75 mm, the serial in 95-205 mm), with room for the
#: detector's corners to wander.
TOP_ROW, BOTTOM_ROW, TOP_SPAN = (0.0, 0.42), (0.36, 1.0), (0.18, 0.82)


def one_row(crop: np.ndarray) -> np.ndarray:
    """A two-row plate as one line, its top row (cut to the span of its two characters and
    scaled to the bottom row's height) before its bottom row: what a one-line recogniser
    reads, 鲁A over 12345 as 鲁A12345."""
    h, w = crop.shape[:2]
    top = crop[int(TOP_ROW[0] * h):max(1, int(TOP_ROW[1] * h)),
               int(TOP_SPAN[0] * w):max(1, int(TOP_SPAN[1] * w))]
    bottom = crop[int(BOTTOM_ROW[0] * h):]
    scale = bottom.shape[0] / max(top.shape[0], 1)
    top = cv2.resize(top, (max(1, int(round(top.shape[1] * scale))), bottom.shape[0]))
    return np.hstack([top, bottom])


def is_two_rows(crop: np.ndarray, two_rows_below: float | None) -> bool:
    """Whether a recogniser reads the crop as a two-row plate: narrower than ``two_rows_below``
    x its height; None: every crop is one row."""
    h, w = crop.shape[:2]
    return two_rows_below is not None and w < two_rows_below * h


#: The narrowest a one-row CN plate is seen from the front, width / height (GA 36: 440 x 140 mm,
#: 3.14, a little less where its frame is loose). Narrower, it is seen from the side.
ONE_ROW_RATIO = 3.0


def widened(crop: np.ndarray, ratio: float) -> np.ndarray:
    """The crop stretched to at least ``ratio`` x its height: a plate seen from the side as it
    is seen from the front, its characters as wide as the recogniser knows them."""
    h, w = crop.shape[:2]
    return crop if w >= ratio * h else cv2.resize(crop, (int(round(ratio * h)), h))


def as_line(crop: np.ndarray, two_rows_below: float | None, two_rows: bool | None = None
            ) -> np.ndarray:
    """The crop as a one-line recogniser reads it: a two-row plate laid out by ``one_row``;
    ``two_rows``: whether it is one (default: ``is_two_rows``). For a model that reads two rows
    (CN plates), a one-row crop narrower than a one-row plate is ``widened`` to one."""
    if two_rows is None:
        two_rows = is_two_rows(crop, two_rows_below)
    if two_rows:
        return one_row(crop)
    return crop if two_rows_below is None else widened(crop, ONE_ROW_RATIO)


#: Crops whose width / height ratio lies within these shares of a model's ``two_rows_below``
#: may be either: a one-row plate seen from the side (or framed with a tilt) is as narrow as a
#: two-row plate seen from the front. Such a crop is read both ways and the surer read kept.
EITHER_LAYOUT = (0.55, 1.15)


def layouts(crop: np.ndarray, two_rows_below: float | None) -> tuple[bool, ...]:
    """Whether to read the crop as two rows, one row, or both (``EITHER_LAYOUT``), the layout
    its ratio says first."""
    if two_rows_below is None:
        return (False,)
    h, w = crop.shape[:2]
    first = is_two_rows(crop, two_rows_below)
    lo, hi = EITHER_LAYOUT
    if lo * two_rows_below * h <= w < hi * two_rows_below * h:
        return first, not first
    return (first,)


def reframe(crop: np.ndarray, margins: tuple[float, float, float, float],
            size: tuple[int, int] | None = None) -> np.ndarray:
    """The crop seen through a window moved by ``margins`` (see ``VIEWS``), at ``size`` (width,
    height; default the crop's); beyond the crop its edge pixels repeat."""
    h, w = crop.shape[:2]
    out_w, out_h = size or (w, h)
    left, top, right, bottom = margins
    src = np.float32([[left * w, top * h], [w - right * w, top * h],
                      [w - right * w, h - bottom * h], [left * w, h - bottom * h]])
    dst = np.float32([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]])
    return cv2.warpPerspective(crop, cv2.getPerspectiveTransform(src, dst), (out_w, out_h),
                               borderMode=cv2.BORDER_REPLICATE)


def reach(views: tuple[tuple[float, float, float, float], ...]) -> tuple[float, float]:
    """How far the loosest of ``views`` looks beyond the crop as found: (x, y) shares of its
    width and height, on each side."""
    return (max(0.0, *(-m for v in views for m in (v[0], v[2]))),
            max(0.0, *(-m for v in views for m in (v[1], v[3]))))


def within(margins: tuple[float, float, float, float],
           context: tuple[float, float]) -> tuple[float, float, float, float]:
    """A view's margins (shares of the plate as found) as shares of a crop cut with
    ``context`` around it."""
    cx, cy = context
    sx, sy = 1 + 2 * cx, 1 + 2 * cy
    left, top, right, bottom = margins
    return (cx + left) / sx, (cy + top) / sy, (cx + right) / sx, (cy + bottom) / sy


def views_of(crop: np.ndarray, views: tuple[tuple[float, float, float, float], ...],
             context: tuple[float, float] = (0.0, 0.0)) -> list[np.ndarray]:
    """The crop through each view, each at the size of the plate as found; ``context``: the
    crop was cut that much wider and taller than the plate on each side."""
    h, w = crop.shape[:2]
    size = (max(1, round(w / (1 + 2 * context[0]))), max(1, round(h / (1 + 2 * context[1]))))
    return [crop if not any(m) and size == (w, h) else reframe(crop, within(m, context), size)
            for m in views]


class CtcRecogniser:
    """CTC recognition (PP-OCR's or the project's model) on crops resized to height 48, batched
    by similar width; each crop read in the first ``views`` of ``VIEWS``. A model whose metadata
    names ``two_rows_below`` (a width / height ratio) was trained to read two-row plates as one
    line: crops narrower than that are read through ``one_row``; one that names
    ``min_width_ratio`` is given crops padded to at least that ratio. ``alphabet`` maps each
    model character to what it reads as (default: plate characters; see ``PlateVocabulary``).
    ``formats`` (``checkpoint.grammar.position_formats``): the plate formats of the region it
    reads, which its reads are decoded towards (``best_of_views``)."""

    def __init__(self, model: str | Path | None = None, *, threads: int = 1,
                 batch_size: int = 8, views: int = 1,
                 alphabet: Callable[[str], str] | None = None,
                 formats: Sequence[PositionFormat] = ()) -> None:
        if not 1 <= views <= len(VIEWS):
            raise ValueError(f"views must be 1 to {len(VIEWS)}, not {views}")
        path = model or bundled_model(DEFAULT_REC_MODEL)
        self._session = session(path, threads)
        self._input = self._session.get_inputs()[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        characters = meta.get("character")
        if not characters:
            raise ModelError(f"model {path} has no 'character' list in its metadata")
        self.vocab = PlateVocabulary.from_charset(["<blank>", *characters.splitlines(), " "],
                                                  alphabet)
        self.two_rows_below = float(meta["two_rows_below"]) if meta.get("two_rows_below") else None
        self.min_width_ratio = float(meta.get("min_width_ratio") or MIN_WIDTH_RATIO)
        self.batch_size = batch_size
        self.views = VIEWS[:views]
        self.formats = PlateFormats.of(formats, self.vocab)
        self._index = {c: i for i, c in enumerate(self.vocab.chars) if c}

    @property
    def context(self) -> tuple[float, float]:
        """How much of the scene around a plate its views look at, (x, y) shares of the plate's
        width and height on each side: cut crops that much wider (``recognise(context=)``)."""
        return reach(self.views)

    def _lines(self, crop: np.ndarray, context: tuple[float, float]) -> list[list[np.ndarray]]:
        """The crop's views as the model reads them, in each layout it may have (``layouts``):
        a two-row plate as one line, where the model can."""
        views = views_of(crop, self.views, context)
        return [[as_line(v, self.two_rows_below, two_rows) for v in views]
                for two_rows in layouts(views[0], self.two_rows_below)]

    def _sureness(self, reading: Reading) -> tuple[bool, float]:
        """How a reading ranks among a crop's layouts: a plate's text first, then confidence."""
        fits = self.formats is None or self.formats.fits([self._index[c] for c in reading.text])
        return bool(reading.text) and fits, reading.confidence

    def recognise(self, crops: list[np.ndarray],
                  context: tuple[float, float] = (0.0, 0.0)) -> list[Reading]:
        """Each crop read in every view (and layout); ``context``: the crops were cut that much
        around the plate on each side (shares of its width and height), which no view reads as
        plate."""
        entries = [(i, lines) for i, c in enumerate(crops) for lines in self._lines(c, context)]
        order = sorted(range(len(entries)),
                       key=lambda e: entries[e][1][0].shape[1] / max(entries[e][1][0].shape[0], 1))
        results: list[Reading | None] = [None] * len(entries)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            ratio = max(v.shape[1] / max(v.shape[0], 1) for e in idx for v in entries[e][1])
            width = int(np.ceil(REC_HEIGHT * max(ratio, self.min_width_ratio)))
            batch = np.stack([prepare_crop(v, width) for e in idx for v in entries[e][1]])
            probs = self._session.run(None, {self._input: batch})[0]
            for e, p in zip(idx, probs.reshape(len(idx), len(self.views), *probs.shape[1:])):
                results[e] = (ctc_decode(p[0], self.vocab)
                              if len(self.views) == 1 and self.formats is None
                              else best_of_views(self.vocab.fold(p), self.vocab,
                                                 formats=self.formats))
        by_crop: list[list[Reading]] = [[] for _ in crops]
        for (i, _), reading in zip(entries, results):  # each crop's layouts in ``layouts`` order
            if reading is not None:
                by_crop[i].append(reading)
        return [max(rs, key=self._sureness) for rs in by_crop]
