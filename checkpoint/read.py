"""Detections → reads: find plates in a frame and read them.

Every reader returns ``PlateRead``s of normalised, plausible plate text; anything that cannot be a
plate (signs, logos, stray text) is dropped here, before tracking. Readers are chosen by name in
the checkpoint config, so the project's own models (issue 4) plug in behind the same protocol.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np

from checkpoint.grammar import fit_plate, is_plausible
from checkpoint.wire.plates import normalise

if TYPE_CHECKING:
    from checkpoint.config import ReaderConfig
    from checkpoint.detect import PlateDetector
    from checkpoint.recognise import PlateRecogniser, Reading


@dataclass(frozen=True)
class PlateRead:
    text: str                   # normalised plate text
    confidence: float           # 0..1
    corners: np.ndarray         # (4, 2) float32, clockwise from top-left, frame pixels
    char_confidences: tuple[float, ...] = ()
    alternatives: tuple[tuple[str, float], ...] = field(default=())  # next-best texts, best first

    @property
    def box(self) -> tuple[float, float, float, float]:
        x, y = self.corners[:, 0], self.corners[:, 1]
        return float(x.min()), float(y.min()), float(x.max()), float(y.max())

    @property
    def centre(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box
        return (x1 + x2) / 2, (y1 + y2) / 2


class PlateReader(Protocol):
    def read(self, image: np.ndarray, region: str | None, *,
             scale: float | None = None) -> list[PlateRead]:
        """Find and read every plate in a frame (or part of one searched at ``scale``)."""
        ...

    def read_crop(self, crop: np.ndarray, region: str | None) -> PlateRead | None:
        """Read a tight plate crop (no detection); None when it holds no plausible plate."""
        ...


def _whole(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)


class RapidOcrReader:
    """rapidocr's own pipeline (PP-OCR det + rec, bundled ONNX): the generic-OCR baseline."""

    def __init__(self, threads: int = 1) -> None:
        from rapidocr import RapidOCR  # heavy import, only for boxes that use this reader

        self._engine = RapidOCR(params={
            "Global.log_level": "error",  # an empty frame is normal here, not a warning
            "Global.use_cls": False,  # plates are upright; the angle classifier only costs time
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })

    def read(self, image: np.ndarray, region: str | None, *,
             scale: float | None = None) -> list[PlateRead]:
        out = self._engine(image, use_cls=False)  # rapidocr picks its own scale
        if out.txts is None:
            return []
        reads = []
        for text, score, box in zip(out.txts, out.scores, out.boxes):
            plate = normalise(text)
            if is_plausible(plate, region):
                reads.append(PlateRead(plate, float(score), np.asarray(box, dtype=np.float32)))
        return reads

    def read_crop(self, crop: np.ndarray, region: str | None) -> PlateRead | None:
        out = self._engine(crop, use_det=False, use_cls=False)
        if not out.txts:
            return None
        plate = normalise("".join(out.txts))
        if not is_plausible(plate, region):
            return None
        return PlateRead(plate, float(np.mean(out.scores)), _whole(crop))


def rectify(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral warped to an upright rectangle (perspective-corrected plate crop)."""
    tl, tr, br, bl = corners.astype(np.float32)
    w = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    h = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    w, h = max(w, 2), max(h, 2)
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def _plate_chars(reading: Reading) -> tuple[str, tuple[float, ...]]:
    """Normalise character by character, so confidences stay aligned with the plate text."""
    chars, confs = [], []
    for ch, conf in zip(reading.text, reading.char_confidences):
        n = normalise(ch)
        if len(n) == 1:
            chars.append(n)
            confs.append(conf)
    return "".join(chars), tuple(confs)


def to_plate_read(reading: Reading, corners: np.ndarray, region: str | None) -> PlateRead | None:
    """A recogniser's reading as a plate read: normalised, grammar-corrected, or None."""
    text, confs = _plate_chars(reading)
    fit = fit_plate(text, region)
    if fit is None or len(fit.text) != len(confs) - fit.start:
        return None
    confs = confs[fit.start:]
    alternatives: dict[str, float] = {}
    for alt_text, alt_conf in reading.alternatives:
        alt = fit_plate(alt_text, region)
        if alt is not None and alt.text != fit.text and alt.text not in alternatives:
            alternatives[alt.text] = alt_conf
    confidence = float(np.mean(confs)) if confs else 0.0
    return PlateRead(fit.text, confidence, corners, confs, tuple(alternatives.items()))


@dataclass
class StageTimes:
    """Seconds spent per stage, for ``checkpoint bench``."""

    detect: float = 0.0
    recognise: float = 0.0


def _plate_shaped(corners: np.ndarray, min_height: float) -> bool:
    """Plate text lines are wide and not tiny; tall or small blobs are not worth reading."""
    tl, tr, _, bl = corners
    w, h = float(np.linalg.norm(tr - tl)), float(np.linalg.norm(bl - tl))
    return h >= min_height and 1.2 <= w / max(h, 1e-6) <= 12.0


class OnnxPlateReader:
    """A detector and a recogniser (ONNX), crops batched, every read checked by the plate grammar.

    ``by_region`` holds recognisers for plates of one region (the project's CN model), used
    when the read's region is that one; every other plate goes to ``recogniser``."""

    def __init__(self, detector: PlateDetector, recogniser: PlateRecogniser,
                 by_region: dict[str, PlateRecogniser] | None = None, *,
                 min_height: float = 14.0) -> None:
        self.detector = detector
        self.recogniser = recogniser
        self.by_region = by_region or {}
        self.min_height = min_height
        self.times = StageTimes()

    def _recogniser(self, region: str | None) -> PlateRecogniser:
        return self.by_region.get(region or "", self.recogniser)

    def read(self, image: np.ndarray, region: str | None, *,
             scale: float | None = None) -> list[PlateRead]:
        t0 = time.perf_counter()
        found = [d for d in self.detector.detect(image, scale) if _plate_shaped(d.corners, self.min_height)]
        t1 = time.perf_counter()
        self.times.detect += t1 - t0
        if not found:
            return []
        readings = self._recogniser(region).recognise([rectify(image, d.corners) for d in found])
        self.times.recognise += time.perf_counter() - t1
        reads = (to_plate_read(r, d.corners, region) for r, d in zip(readings, found))
        return [r for r in reads if r is not None]

    def read_crop(self, crop: np.ndarray, region: str | None) -> PlateRead | None:
        t0 = time.perf_counter()
        (reading,) = self._recogniser(region).recognise([crop])
        self.times.recognise += time.perf_counter() - t0
        return to_plate_read(reading, _whole(crop), region)


def build_reader(cfg: ReaderConfig) -> PlateReader:
    """The reader a checkpoint config names (models load here: errors name the file)."""
    if cfg.name == "rapidocr":
        return RapidOcrReader(threads=cfg.threads)
    from checkpoint.detect import (DbTextDetector, PlateCornerDetector, PlateGatedText,
                                   PlatesThenText)
    from checkpoint.onnx_models import project_model
    from checkpoint.recognise import CtcRecogniser

    by_region = {region: CtcRecogniser(project_model(path), threads=cfg.threads,
                                       views=cfg.rec_views)
                 for region, path in cfg.rec_models.items()}
    detector: PlateDetector = DbTextDetector(cfg.det_model, threads=cfg.threads,
                                             max_side=cfg.det_max_side)
    if cfg.detector != "text":
        plates = PlateCornerDetector(project_model(cfg.plate_det_model), threads=cfg.threads,
                                     threshold=cfg.plate_threshold)
        detector = (PlatesThenText(plates, detector) if cfg.detector == "plate"
                    else PlateGatedText(plates, detector, gate=cfg.gate_threshold))
    return OnnxPlateReader(detector, CtcRecogniser(cfg.rec_model, threads=cfg.threads), by_region,
                           min_height=cfg.min_text_height)
