"""Where to look: run the detector only where something can be new.

A frame-difference gate on a small grey copy of each frame finds what moved; the detector then
runs on that region plus the boxes of plates being tracked (a vehicle stopped for an ID check does
not move, and must stay tracked). A still road costs one resize and one subtraction per frame.
"""
from __future__ import annotations

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x1, y1, x2, y2 in frame pixels


class MotionGate:
    """Bounding box of the change since the previous frame, or None when nothing moved."""

    def __init__(self, width: int = 160, threshold: int = 18, min_fraction: float = 0.002) -> None:
        self._width = width
        self._threshold = threshold
        self._min_fraction = min_fraction
        self._previous: np.ndarray | None = None

    def update(self, image: np.ndarray) -> Box | None:
        h, w = image.shape[:2]
        small_h = max(1, round(h * self._width / w))
        grey = cv2.cvtColor(cv2.resize(image, (self._width, small_h), interpolation=cv2.INTER_AREA),
                            cv2.COLOR_BGR2GRAY)
        grey = cv2.GaussianBlur(grey, (5, 5), 0)
        previous, self._previous = self._previous, grey
        if previous is None:
            return (0, 0, w, h)  # first frame: everything is new
        moved = cv2.absdiff(grey, previous) > self._threshold
        if moved.mean() < self._min_fraction:
            return None
        ys, xs = np.nonzero(moved)
        sx, sy = w / self._width, h / small_h
        return (int(xs.min() * sx), int(ys.min() * sy), int((xs.max() + 1) * sx),
                int((ys.max() + 1) * sy))


def union(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    arr = np.array(boxes)
    return (int(arr[:, 0].min()), int(arr[:, 1].min()), int(arr[:, 2].max()), int(arr[:, 3].max()))


def merge_overlapping(boxes: list[Box]) -> list[Box]:
    """Boxes that overlap (or touch) replaced by their union, until none do."""
    merged = list(boxes)
    i = 0
    while i < len(merged):
        a = merged[i]
        j = next((j for j in range(i + 1, len(merged)) if merged[j][0] <= a[2] and a[0] <= merged[j][2]
                  and merged[j][1] <= a[3] and a[1] <= merged[j][3]), None)
        if j is None:
            i += 1
            continue
        b = merged.pop(j)
        merged[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        i = 0  # the grown box may now overlap one already passed
    return merged


def grow(box: Box, margin: float, width: int, height: int) -> Box:
    """Grow a box by ``margin`` of its size on each side (and at least 16 px), clipped to the frame."""
    x1, y1, x2, y2 = box
    mx, my = max(16, int((x2 - x1) * margin)), max(16, int((y2 - y1) * margin))
    return max(0, x1 - mx), max(0, y1 - my), min(width, x2 + mx), min(height, y2 + my)


def clip(box: Box, limit: Box) -> Box | None:
    x1, y1 = max(box[0], limit[0]), max(box[1], limit[1])
    x2, y2 = min(box[2], limit[2]), min(box[3], limit[3])
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None
