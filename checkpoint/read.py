"""Detections → reads: find plates in a frame and read them.

Every reader returns ``PlateRead``s of normalised, plausible plate text; anything that cannot be a
plate (signs, logos, stray text) is dropped here, before tracking. The reader is chosen in the
checkpoint config and built from a detector and the recognisers for each plate region, so the
lab can measure (or time) the same parts the box runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np

from checkpoint.grammar import fit_plate, is_plausible, position_formats
from checkpoint.onnx_models import project_model
from checkpoint.wire.plates import normalise

if TYPE_CHECKING:
    from checkpoint.config import ReaderConfig
    from checkpoint.corners import CornerRefiner
    from checkpoint.ctc import Reading
    from checkpoint.detect import Detection, PlateDetector
    from checkpoint.recognise import PlateRecogniser


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


def rapidocr_engine(threads: int = 1):
    """rapidocr's pipeline with kakou's settings (quiet, no angle classifier, ``threads``)."""
    from rapidocr import RapidOCR  # heavy import, only for boxes that use this reader

    return RapidOCR(params={
        "Global.log_level": "error",  # an empty frame is normal here, not a warning
        "Global.use_cls": False,  # plates are upright; the angle classifier only costs time
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })


class RapidOcrReader:
    """rapidocr's own pipeline (PP-OCR det + rec, bundled ONNX): the generic-OCR baseline."""

    def __init__(self, threads: int = 1) -> None:
        self._engine = rapidocr_engine(threads)

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


def widen(corners: np.ndarray, context: tuple[float, float]) -> np.ndarray:
    """The quadrilateral grown along its own axes by ``context`` (x, y) shares of its width and
    height on each side."""
    tl, tr, br, bl = corners.astype(np.float64)
    across = (tr - tl + br - bl) / 2 * context[0]
    down = (bl - tl + br - tr) / 2 * context[1]
    return np.array([tl - across - down, tr + across - down, br + across + down,
                     bl - across + down], np.float32)


def rectify(image: np.ndarray, corners: np.ndarray,
            context: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The quadrilateral warped to an upright rectangle (perspective-corrected plate crop), with
    ``context`` around it (see ``widen``)."""
    if any(context):
        corners = widen(corners, context)
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


def sure_enough(read: PlateRead, min_confidence: float, min_char_confidence: float) -> bool:
    """Whether a read clears the reader's floors (``reader.min_confidence``, over its mean,
    and ``reader.min_char_confidence``, over each character)."""
    return (read.confidence >= min_confidence
            and all(c >= min_char_confidence for c in read.char_confidences))


def plate_shaped(corners: np.ndarray, min_height: float) -> bool:
    """Plate text lines are wide and not tiny; tall or small blobs are not worth reading."""
    tl, tr, _, bl = corners
    w, h = float(np.linalg.norm(tr - tl)), float(np.linalg.norm(bl - tl))
    return h >= min_height and 1.2 <= w / max(h, 1e-6) <= 12.0


def whole_plates(image: np.ndarray, detector: PlateDetector, refiner: CornerRefiner | None,
                 min_height: float, scale: float | None = None) -> list[Detection]:
    """The plates a reader reads whole in ``image``: found by the plate ``detector``, shaped
    like a plate (``plate_shaped``), framed again by ``refiner`` where there is one."""
    found = [d for d in detector.detect(image, scale) if plate_shaped(d.corners, min_height)]
    if refiner is None or not found:
        return found
    return [d for d in refiner.refine(image, found) if plate_shaped(d.corners, min_height)]


@dataclass(frozen=True)
class Recognisers:
    """The recogniser for plates of each region that has its own, and the one for all others."""

    default: PlateRecogniser
    by_region: dict[str, PlateRecogniser] = field(default_factory=dict)

    def for_region(self, region: str | None) -> PlateRecogniser:
        return self.by_region.get(region or "", self.default)


class OnnxPlateReader:
    """A detector and the recognisers (ONNX), crops batched, every read checked by the plate
    grammar; text lines under ``min_height`` pixels, or not shaped like a plate, are not read.

    Plates of the regions in ``whole_regions`` are read whole: ``whole`` (the plate detector)
    finds each plate with its corners, and the region's recogniser reads the rectified plate,
    so no text line has to happen to include every character (a CN plate's province character
    is often a line of its own). ``refiner`` frames each such plate again where it is, before
    it is read."""

    def __init__(self, detector: PlateDetector, recognisers: Recognisers, *,
                 min_height: float, whole: PlateDetector | None = None,
                 whole_regions: frozenset[str] = frozenset(),
                 refiner: CornerRefiner | None = None) -> None:
        if whole_regions and whole is None:
            raise ValueError("plates read whole need a plate detector")
        self.detector = detector
        self.recognisers = recognisers
        self.min_height = min_height
        self.whole = whole
        self.whole_regions = whole_regions
        self.refiner = refiner

    def _found(self, image: np.ndarray, region: str | None,
               scale: float | None) -> list[Detection]:
        """What ``read`` reads: the text lines or plates shaped like a plate, those of the
        regions read whole framed again by the refiner."""
        if region not in self.whole_regions:
            return [d for d in self.detector.detect(image, scale)
                    if plate_shaped(d.corners, self.min_height)]
        assert self.whole is not None
        return whole_plates(image, self.whole, self.refiner, self.min_height, scale)

    def found(self, image: np.ndarray, region: str | None, *,
              scale: float | None = None) -> list[np.ndarray]:
        """The corners of every plate or line that ``read`` would read (the lab tells plates
        never found from plates found but read wrongly or not at all)."""
        return [d.corners for d in self._found(image, region, scale)]

    def read(self, image: np.ndarray, region: str | None, *,
             scale: float | None = None) -> list[PlateRead]:
        found = self._found(image, region, scale)
        if not found:
            return []
        recogniser = self.recognisers.for_region(region)
        context = recogniser.context
        crops = [rectify(image, d.corners, context) for d in found]
        readings = recogniser.recognise(crops, context)
        reads = (to_plate_read(r, d.corners, region) for r, d in zip(readings, found))
        return [r for r in reads if r is not None]


def build_plate_detector(cfg: ReaderConfig) -> PlateDetector | None:
    """The project's plate detector, where the config uses it (the gated and plate modes, and
    plates read whole); None otherwise."""
    if cfg.detector == "text" and not cfg.whole_plate_regions:
        return None
    from checkpoint.detect import PlateCornerDetector

    return PlateCornerDetector(project_model(cfg.plate_det_model), threads=cfg.threads,
                               threshold=cfg.plate_threshold)


def build_detector(cfg: ReaderConfig, plates: PlateDetector | None) -> PlateDetector:
    """The text-line detector a reader config names, on ``plates`` for the gated and plate
    modes (models load here: errors name the file)."""
    from checkpoint.detect import DbTextDetector, PlateGatedText, PlatesThenText

    lines = DbTextDetector(cfg.det_model, threads=cfg.threads, max_side=cfg.det_max_side)
    if cfg.detector == "text":
        return lines
    if cfg.detector == "plate":
        return PlatesThenText(plates, lines)
    return PlateGatedText(plates, lines, gate=cfg.gate_threshold)


def build_recognisers(cfg: ReaderConfig) -> Recognisers:
    """PP-OCR's recogniser (or ``rec_model``) for every plate, the project's own for the
    regions in ``rec_models``, read in ``rec_views`` views."""
    from checkpoint.recognise import CtcRecogniser

    return Recognisers(
        CtcRecogniser(cfg.rec_model, threads=cfg.threads),
        {region: CtcRecogniser(project_model(path), threads=cfg.threads, views=cfg.rec_views,
                               formats=position_formats(region))
         for region, path in cfg.rec_models.items()})


def build_reader(cfg: ReaderConfig) -> PlateReader:
    """The reader a checkpoint config names (models load here: errors name the file)."""
    if cfg.name == "rapidocr":
        return RapidOcrReader(threads=cfg.threads)
    plates = build_plate_detector(cfg)
    return OnnxPlateReader(build_detector(cfg, plates), build_recognisers(cfg),
                           min_height=cfg.min_text_height, whole=plates,
                           whole_regions=frozenset(cfg.whole_plate_regions),
                           refiner=build_refiner(cfg))


def build_refiner(cfg: ReaderConfig) -> CornerRefiner | None:
    """The corner refiner for plates read whole, where the config names one."""
    if cfg.corner_model is None or not cfg.whole_plate_regions:
        return None
    from checkpoint.corners import CornerRefiner

    return CornerRefiner(project_model(cfg.corner_model), threads=cfg.threads)
