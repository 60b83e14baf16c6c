"""Frames → detections: where plate text is, as rotated quadrilaterals.

Two detectors and two ways to combine them. PP-OCR's DB text detector (ONNX) boxes text lines:
its probability map is thresholded and each blob becomes a minimum-area rectangle, grown by the
DB "unclip" margin, mapped back to frame pixels. The project's plate detector
(``models/plate_det.onnx``) gives a plate-centre heat map and each plate's four corners.
``PlateGatedText`` (the default) reads text lines only where the plate detector sees a plate;
``PlatesThenText`` finds plates first and the lines inside each.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from checkpoint.motion import Box, merge_overlapping
from checkpoint.onnx_models import bundled_model, session

DEFAULT_DET_MODEL = "PP-OCRv6_det_small.onnx"


@dataclass(frozen=True)
class Detection:
    corners: np.ndarray  # (4, 2) float32, clockwise from top-left, in the input image's pixels
    score: float


class PlateDetector(Protocol):
    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        """Detections in ``image``; ``scale`` caps the resize (None: the detector's own size)."""
        ...


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points clockwise from top-left (smallest x+y first), whatever order they came in."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]],
                    dtype=np.float32)


def search_scale(shape: tuple[int, ...], max_side: int, scale: float | None = None) -> float:
    """How much a detector shrinks an image of ``shape``: never enlarged, the longer side at
    most ``max_side``, at most ``scale``."""
    h, w = shape[:2]
    return min(1.0, max_side / max(h, w), scale or 1.0)


def input_size(shape: tuple[int, ...], max_side: int, scale: float | None = None) -> tuple[int, int]:
    """A network's input (height, width) for an image of ``shape``: ``search_scale`` times
    the image, in multiples of 32."""
    h, w = shape[:2]
    scale = search_scale(shape, max_side, scale)
    return max(32, int(round(h * scale / 32)) * 32), max(32, int(round(w * scale / 32)) * 32)


def to_blob(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` resized to ``size`` (height, width) as a (1, 3, H, W) batch, BGR ``(v/255 - 0.5)
    / 0.5``: the input both detectors were trained on."""
    blob = cv2.resize(image, (size[1], size[0])).astype(np.float32)
    return ((blob / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]


class DbTextDetector:
    """PP-OCR DB detection, the input resized so its longer side is at most ``max_side``.

    The pipeline passes the scale that fits the whole frame into ``max_side``, so a small region
    of a 1080p frame is searched at the same coarse scale as the frame, not at full resolution.
    """

    def __init__(self, model: str | Path | None = None, *, threads: int = 1, max_side: int = 960,
                 threshold: float = 0.3, box_threshold: float = 0.5, unclip_ratio: float = 1.6,
                 min_size: float = 4.0) -> None:
        self._session = session(model or bundled_model(DEFAULT_DET_MODEL), threads)
        self._input = self._session.get_inputs()[0].name
        self.max_side = max_side
        self.threshold = threshold
        self.box_threshold = box_threshold
        self.unclip_ratio = unclip_ratio
        self.min_size = min_size

    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        h, w = image.shape[:2]
        rh, rw = input_size(image.shape, self.max_side, scale)
        prob = self._session.run(None, {self._input: to_blob(image, (rh, rw))})[0][0, 0]
        return self._boxes(prob, w / rw, h / rh)

    def _boxes(self, prob: np.ndarray, sx: float, sy: float) -> list[Detection]:
        mask = (prob > self.threshold).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        found = []
        for contour in contours:
            if len(contour) < 4:
                continue
            x, y, bw, bh = cv2.boundingRect(contour)
            inside = np.zeros((bh, bw), np.uint8)
            cv2.drawContours(inside, [contour - [x, y]], -1, 1, -1)
            score = float(prob[y:y + bh, x:x + bw][inside > 0].mean())  # DB "fast" box score
            if score < self.box_threshold:
                continue
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            if min(rw, rh) < self.min_size / 2:
                continue
            margin = rw * rh * self.unclip_ratio / (2 * (rw + rh))  # DB unclip distance
            rect = ((cx, cy), (rw + 2 * margin, rh + 2 * margin), angle)
            corners = cv2.boxPoints(rect) * np.array([sx, sy], dtype=np.float32)
            if min(rect[1]) * min(sx, sy) < self.min_size:
                continue
            found.append(Detection(order_corners(corners), score))
        return found


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy NMS on axis-aligned (x0, y0, x1, y1) boxes, best score first."""
    order = np.argsort(-scores)
    lo = np.maximum(boxes[:, None, :2], boxes[None, :, :2])
    hi = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    overlap = inter / (area[:, None] + area[None] - inter + 1e-9)
    keep: list[int] = []
    for i in order:
        if not keep or overlap[i, keep].max() <= iou:
            keep.append(int(i))
    return np.array(keep, dtype=np.int64)


def decode_plates(heat: np.ndarray, corners: np.ndarray, stride: int, corner_scale: float,
                  threshold: float, sx: float, sy: float, nms_iou: float = 0.4) -> list[Detection]:
    """Plates from a centre heat map (h, w) and corner offsets (8, h, w).

    Peaks are cells that are the maximum of their 3x3 neighbourhood and above ``threshold``;
    each peak's offsets (input pixels / ``corner_scale`` from the cell centre) give the corners,
    scaled by (``sx``, ``sy``) back to image pixels; NMS drops duplicate peaks of one plate."""
    heat = np.asarray(heat, dtype=np.float32)
    peaks = (heat >= cv2.dilate(heat, np.ones((3, 3), np.uint8))) & (heat > threshold)
    ys, xs = np.nonzero(peaks)
    if not len(ys):
        return []
    centres = np.stack([(xs + 0.5) * stride, (ys + 0.5) * stride], axis=1)[:, None, :]
    quads = corners[:, ys, xs].T.reshape(-1, 4, 2) * corner_scale + centres
    quads = (quads * np.array([sx, sy], dtype=np.float32)).astype(np.float32)
    scores = heat[ys, xs]
    boxes = np.concatenate([quads.min(axis=1), quads.max(axis=1)], axis=1)
    return [Detection(order_corners(quads[i]), float(scores[i]))
            for i in _nms(boxes, scores, nms_iou)]


@dataclass(frozen=True)
class PlateMaps:
    """The plate detector's output for one image: centre heat (h, w) and corner offsets
    (8, h, w), one cell per ``stride`` network-input pixels, and image pixels per input pixel."""

    heat: np.ndarray
    corners: np.ndarray
    stride: int
    corner_scale: float
    sx: float
    sy: float

    def plates(self, threshold: float) -> list[Detection]:
        """The plates whose centre heat peaks above ``threshold`` (``decode_plates``)."""
        return decode_plates(self.heat, self.corners, self.stride, self.corner_scale, threshold,
                             self.sx, self.sy)

    def support(self, corners: np.ndarray, grow: float) -> float:
        """The highest plate-centre heat in the box around ``corners`` (image pixels), grown by
        ``grow`` times its size on each side."""
        (x1, y1), (x2, y2) = corners.min(axis=0), corners.max(axis=0)
        mx, my = (x2 - x1) * grow, (y2 - y1) * grow
        fx, fy = 1 / (self.sx * self.stride), 1 / (self.sy * self.stride)
        h, w = self.heat.shape
        c1, r1 = max(0, int((x1 - mx) * fx)), max(0, int((y1 - my) * fy))
        c2, r2 = min(w, int(np.ceil((x2 + mx) * fx)) + 1), min(h, int(np.ceil((y2 + my) * fy)) + 1)
        window = self.heat[r1:r2, c1:c2]
        return float(window.max()) if window.size else 0.0

    def windows(self, gate: float, reach: float, shape: tuple[int, ...]) -> list[Box]:
        """Where a plate may be: each patch of heat ≥ ``gate``, widened to the plates its cells
        predict (their corner offsets) and by ``reach`` times that size on each side (at least
        two cells), overlapping windows merged; image pixels, clipped to ``shape``."""
        mask = (self.heat >= gate).astype(np.uint8)
        count, labels = cv2.connectedComponents(mask, connectivity=8)
        if count <= 1:
            return []
        ys, xs = np.nonzero(mask)
        patch = labels[ys, xs] - 1
        centres = np.stack([(xs + 0.5) * self.stride, (ys + 0.5) * self.stride], axis=1)
        quads = self.corners[:, ys, xs].T.reshape(-1, 4, 2) * self.corner_scale + centres[:, None]
        lo = np.minimum(quads.min(axis=1), centres - self.stride / 2)
        hi = np.maximum(quads.max(axis=1), centres + self.stride / 2)
        x1, y1 = np.full(count - 1, np.inf), np.full(count - 1, np.inf)
        x2, y2 = np.full(count - 1, -np.inf), np.full(count - 1, -np.inf)
        np.minimum.at(x1, patch, lo[:, 0])
        np.minimum.at(y1, patch, lo[:, 1])
        np.maximum.at(x2, patch, hi[:, 0])
        np.maximum.at(y2, patch, hi[:, 1])
        mx = np.maximum((x2 - x1) * reach, 2 * self.stride) * self.sx
        my = np.maximum((y2 - y1) * reach, 2 * self.stride) * self.sy
        h, w = shape[:2]
        boxes = [(max(0, int(a * self.sx - dx)), max(0, int(b * self.sy - dy)),
                  min(w, int(np.ceil(c * self.sx + dx))), min(h, int(np.ceil(d * self.sy + dy))))
                 for a, b, c, d, dx, dy in zip(x1, y1, x2, y2, mx, my)]
        return merge_overlapping([b for b in boxes if b[2] > b[0] and b[3] > b[1]])


class PlateCornerDetector:
    """The project's plate detector (``models/plate_det.onnx``): a centre heat map and four
    corner offsets per cell at stride 4, so each plate comes with its own corners, not a text
    line. ``scale`` caps the resize as for ``DbTextDetector``; defaults come from the model's
    metadata (stride, corner_scale, max_side, threshold)."""

    def __init__(self, model: str | Path, *, threads: int = 1, max_side: int | None = None,
                 threshold: float | None = None) -> None:
        self.session = session(model, threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.stride = int(meta.get("stride", 4))
        self.corner_scale = float(meta.get("corner_scale", 16))
        self.max_side = max_side or int(meta.get("max_side", 768))
        self.threshold = threshold if threshold is not None else float(meta.get("threshold", 0.5))

    def maps(self, image: np.ndarray, scale: float | None = None) -> PlateMaps:
        """The network's heat and corner maps for ``image``."""
        h, w = image.shape[:2]
        rh, rw = input_size(image.shape, self.max_side, scale)
        heat, corners = self.session.run(None, {"x": to_blob(image, (rh, rw))})
        return PlateMaps(heat[0, 0], corners[0], self.stride, self.corner_scale, w / rw, h / rh)

    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        return self.maps(image, scale).plates(self.threshold)


def lines_in_plate(image: np.ndarray, plate: Detection, lines: PlateDetector, *,
                   margin: float = 0.12, plate_height: float = 64.0,
                   max_zoom: float = 3.0) -> list[Detection] | None:
    """The text lines ``lines`` finds in one plate's own pixels (grown by ``margin`` of its size,
    resized to about ``plate_height`` px tall, enlarged at most ``max_zoom`` times), in image
    pixels: a plate searched at its own scale, not the frame's coarse one. None for a plate
    with almost no pixels inside the image."""
    h, w = image.shape[:2]
    (x1, y1), (x2, y2) = plate.corners.min(axis=0), plate.corners.max(axis=0)
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    x1, y1 = int(max(0, x1 - mx)), int(max(0, y1 - my))
    x2, y2 = int(min(w, x2 + mx + 1)), int(min(h, y2 + my + 1))
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    zoom = min(plate_height / (y2 - y1), max_zoom)
    crop = image[y1:y2, x1:x2]
    if zoom != 1.0:  # large plates shrink too: text lines need no more pixels, only time
        crop = cv2.resize(crop, None, fx=zoom, fy=zoom,
                          interpolation=cv2.INTER_LINEAR if zoom > 1 else cv2.INTER_AREA)
    offset = np.array([x1, y1], dtype=np.float32)
    return [Detection(line.corners / zoom + offset, min(line.score, plate.score))
            for line in lines.detect(crop)]


class PlatesThenText:
    """Plates first, then the text lines inside each plate.

    The plate detector looks at the whole searched region at a coarse scale and tells a plate
    from a sign; the text detector then runs on each plate's own pixels (``lines_in_plate``) and
    boxes the number without a US plate's state name or slogan, which a recogniser would read
    into the plate. Text that is not on a plate is never read. A plate in which no text line is
    found is passed on whole (a tight Chinese plate is one line).
    """

    def __init__(self, plates: PlateDetector, lines: PlateDetector, *, margin: float = 0.12,
                 plate_height: float = 64.0, max_zoom: float = 3.0) -> None:
        self.plates = plates
        self.lines = lines
        self.margin = margin              # share of the plate's size added around it
        self.plate_height = plate_height  # each plate is resized to about this tall, px
        self.max_zoom = max_zoom

    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        found = []
        for plate in self.plates.detect(image, scale):
            lines = lines_in_plate(image, plate, self.lines, margin=self.margin,
                                   plate_height=self.plate_height, max_zoom=self.max_zoom)
            if lines is not None:
                found.extend(lines or [plate])
        return found


def _meet(a: np.ndarray, b: np.ndarray) -> bool:
    """Do the axis-aligned boxes around two quadrilaterals overlap?"""
    return bool((a.min(axis=0) < b.max(axis=0)).all() and (b.min(axis=0) < a.max(axis=0)).all())


def whole_units(box: Box, scale: float, shape: tuple[int, ...], unit: int = 32) -> Box:
    """``box`` widened about its centre (within ``shape``) until, shrunk by ``scale``, each side
    is a whole number of ``unit``s: a network input must be, and a window resized to fit would
    be stretched by up to a sixth, and read otherwise than in the whole image."""
    def span(a: int, b: int, limit: int) -> tuple[int, int]:
        size = min(limit, int(np.ceil(np.ceil((b - a) * scale / unit) * unit / scale)))
        start = max(0, min(a - (size - (b - a)) // 2, limit - size))
        return start, start + size

    (x1, x2), (y1, y2) = span(box[0], box[2], shape[1]), span(box[1], box[3], shape[0])
    return x1, y1, x2, y2


class PlateGatedText:
    """Text lines, kept only where the plate detector sees a plate.

    The text detector finds text of any kind, and a sign's "BLDG084" fits a plate grammar; the
    plate detector tells plates from signs, but boxes them coarsely and misses some a text line
    still shows. So a line is kept when the plate-centre heat reaches the low ``gate`` in the
    line's box grown by ``grow`` of its size on each side (a plate's centre can lie just off
    its number line). The cheap plate network runs first, and the costlier text detector only
    in windows around its heat (``PlateMaps.windows``, ``reach`` plate sizes beyond each
    patch), at the scale it would search the whole image at: a line the gate keeps lies inside
    one, and a frame without a plate costs no text search at all.

    At that coarse scale a small plate's number can show no line. So a plate the plate detector
    finds outright (heat above its own threshold) that no kept line touches is searched again
    at its own scale (``lines_in_plate``, when ``look_closer``); only lines found there are
    read, never the plate box whole.
    """

    def __init__(self, plates: PlateCornerDetector, lines: DbTextDetector, *, gate: float = 0.1,
                 grow: float = 0.5, reach: float = 1.0, look_closer: bool = True) -> None:
        self.plates = plates
        self.lines = lines
        self.gate = gate
        self.grow = grow
        self.reach = reach
        self.look_closer = look_closer

    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        maps = self.plates.maps(image, scale)
        text_scale = search_scale(image.shape, self.lines.max_side, scale)
        found = []
        for window in maps.windows(self.gate, self.reach, image.shape):
            x1, y1, x2, y2 = whole_units(window, text_scale, image.shape)
            offset = np.array([x1, y1], dtype=np.float32)
            for line in self.lines.detect(image[y1:y2, x1:x2], text_scale):
                line = Detection(line.corners + offset, line.score)
                if maps.support(line.corners, self.grow) >= self.gate:
                    found.append(line)
        if self.look_closer:
            for plate in maps.plates(self.plates.threshold):
                if not any(_meet(plate.corners, line.corners) for line in found):
                    found.extend(lines_in_plate(image, plate, self.lines) or [])
        return found
