"""Frames → detections: where plate text is, as rotated quadrilaterals.

The default detector is PP-OCR's DB text detector (ONNX). Its probability map is thresholded and
each blob becomes a minimum-area rectangle, grown by the DB "unclip" margin, mapped back to frame
pixels. Any detector with the same ``detect`` signature can replace it (issue 4's plate model).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from checkpoint.models import bundled_model, session

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
        scale = min(1.0, self.max_side / max(h, w), scale or 1.0)
        rh, rw = (max(32, int(round(v * scale / 32)) * 32) for v in (h, w))
        blob = cv2.resize(image, (rw, rh)).astype(np.float32)
        blob = ((blob / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]
        prob = self._session.run(None, {self._input: blob})[0][0, 0]
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
