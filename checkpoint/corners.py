"""Detections → plate corners: each plate the detector found, framed again where it really is.

The plate detector finds plates on a coarse map of the whole frame (stride 4), and its corners
miss a plate's edges by about 8 % of its width and 15 % of its height; a recogniser reading
between such corners reads the plate cut short, or with the bumper in, and a tilted plate as an
upright box. The refiner (``models/plate_corners.onnx``) looks at each found plate again in its
own pixels: the plate and the scene around it (``context``), rectified to a fixed size, and
says where the plate's four corners are in that crop. The crop's geometry is in the model's
metadata, so the model and the edge cannot disagree on it.

Two found plates that the refiner puts on one plate are one plate: the less sure is dropped.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from checkpoint.detect import Detection
from checkpoint.onnx_models import ModelError, session

#: A quadrilateral's corners as the unit square, clockwise from top-left.
UNIT = np.float32([[0, 0], [1, 0], [1, 1], [0, 1]])
#: Refined plates overlapping this much (box IoU) are one plate.
SAME_PLATE_IOU = 0.5


@dataclass(frozen=True)
class CropGeometry:
    """How a found plate is cut for the refiner: ``size`` (width, height) pixels, with
    ``context`` (x, y) shares of the found plate's width and height on each side."""

    size: tuple[int, int]
    context: tuple[float, float]

    def frame(self, corners: np.ndarray) -> np.ndarray:
        """The crop's corners in the image: the found plate grown by ``context``."""
        cx, cy = self.context
        grown = ((UNIT - 0.5) * np.float32([1 + 2 * cx, 1 + 2 * cy]) + 0.5).astype(np.float32)
        to_image = cv2.getPerspectiveTransform(UNIT, corners.astype(np.float32))
        return cv2.perspectiveTransform(grown[None], to_image)[0]

    def cut(self, image: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The crop the refiner reads (size ``size``) and its frame in the image."""
        frame = self.frame(corners)
        w, h = self.size
        to_crop = cv2.getPerspectiveTransform(frame, (UNIT * np.float32([w, h])).astype(np.float32))
        crop = cv2.warpPerspective(image, to_crop, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
        return crop, frame

    def prior(self) -> np.ndarray:
        """Where the found corners lie in the crop, (4, 2) shares of its width and height."""
        cx, cy = self.context
        return ((UNIT - 0.5) / np.float32([1 + 2 * cx, 1 + 2 * cy]) + 0.5).astype(np.float32)


def to_crop(frame: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Image points as shares of the crop cut at ``frame``."""
    m = cv2.getPerspectiveTransform(frame.astype(np.float32), UNIT)
    return cv2.perspectiveTransform(points.astype(np.float32).reshape(1, -1, 2), m)[0]


def from_crop(frame: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Points given as shares of the crop cut at ``frame``, in the image."""
    m = cv2.getPerspectiveTransform(UNIT, frame.astype(np.float32))
    return cv2.perspectiveTransform(uv.astype(np.float32).reshape(1, -1, 2), m)[0]


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap of the axis-aligned boxes around two quadrilaterals."""
    (ax0, ay0), (ax1, ay1) = a.min(axis=0), a.max(axis=0)
    (bx0, by0), (bx1, by1) = b.min(axis=0), b.max(axis=0)
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return float(inter / union) if union > 0 else 0.0


def one_per_plate(found: list[Detection], min_iou: float = SAME_PLATE_IOU) -> list[Detection]:
    """The surest of each group of detections on one plate (box IoU ≥ ``min_iou``), in the
    order found."""
    kept: list[Detection] = []
    for d in sorted(found, key=lambda d: -d.score):
        if all(box_iou(d.corners, k.corners) < min_iou for k in kept):
            kept.append(d)
    return [d for d in found if any(d is k for k in kept)]


def blob(crops: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """BGR crops (a list, or an (N, H, W, 3) array) as the refiner's input: (N, 3, H, W)
    float32, ``(v/255 - 0.5)/0.5``."""
    x = np.stack(crops).astype(np.float32)
    return ((x / 255.0 - 0.5) / 0.5).transpose(0, 3, 1, 2).copy()


class CornerRefiner:
    """The refiner model on a frame's found plates, one batch per frame."""

    def __init__(self, model: str | Path, *, threads: int = 1) -> None:
        self._session = session(model, threads)
        meta = self._session.get_modelmeta().custom_metadata_map
        try:
            self.geometry = CropGeometry((int(meta["width"]), int(meta["height"])),
                                         (float(meta["context_x"]), float(meta["context_y"])))
        except (KeyError, ValueError) as exc:
            raise ModelError(f"model {model} lacks its crop geometry in its metadata: {exc}") \
                from None

    def predict(self, crops: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """The model's corners for crops cut by ``geometry``: (N, 8) shares of the crop."""
        return self._session.run(None, {"x": blob(crops)})[0]

    def refine(self, image: np.ndarray, found: list[Detection]) -> list[Detection]:
        """``found`` with each plate's corners where the refiner sees it, one per plate."""
        if not found:
            return []
        cut = [self.geometry.cut(image, d.corners) for d in found]
        uv = self.predict([crop for crop, _ in cut])
        return one_per_plate([Detection(from_crop(frame, p.reshape(4, 2)).astype(np.float32),
                                        d.score) for (_, frame), p, d in zip(cut, uv, found)])
