"""Detections → reads: find plate text in a frame and read it.

Every reader returns ``PlateRead``s of normalised, plausible plate text; anything that cannot be a
plate (signs, logos, stray text) is dropped here, before tracking. The project's own detector and
recogniser (issue 4) plug in behind the same ``PlateReader`` protocol.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from checkpoint.plates import is_plausible, normalise


@dataclass(frozen=True)
class PlateRead:
    text: str                   # normalised plate text
    confidence: float           # 0..1
    corners: np.ndarray         # (4, 2) float32, clockwise from top-left, frame pixels

    @property
    def box(self) -> tuple[float, float, float, float]:
        x, y = self.corners[:, 0], self.corners[:, 1]
        return float(x.min()), float(y.min()), float(x.max()), float(y.max())

    @property
    def centre(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box
        return (x1 + x2) / 2, (y1 + y2) / 2


class PlateReader(Protocol):
    def read(self, image: np.ndarray, region: str | None) -> list[PlateRead]: ...


class RapidOcrReader:
    """PP-OCR text detection + recognition from the rapidocr wheel (bundled ONNX models)."""

    def __init__(self, threads: int = 1) -> None:
        from rapidocr import RapidOCR  # heavy import, only for boxes that use this reader

        self._engine = RapidOCR(params={
            "Global.log_level": "error",  # an empty frame is normal here, not a warning
            "Global.use_cls": False,  # plates are upright; the angle classifier only costs time
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })

    def read(self, image: np.ndarray, region: str | None) -> list[PlateRead]:
        out = self._engine(image, use_cls=False)
        if out.txts is None:
            return []
        reads = []
        for text, score, box in zip(out.txts, out.scores, out.boxes):
            plate = normalise(text)
            if is_plausible(plate, region):
                reads.append(PlateRead(plate, float(score), np.asarray(box, dtype=np.float32)))
        return reads
