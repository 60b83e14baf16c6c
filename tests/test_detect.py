"""Plates then text lines: the composition of the two detectors, with fixed stand-in detectors."""
from __future__ import annotations

import numpy as np

from checkpoint.detect import Detection, PlatesThenText


def quad(x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)


class Fixed:
    """Returns the same detections for any image, and remembers the images it was given."""

    def __init__(self, *detections: Detection) -> None:
        self.detections = list(detections)
        self.seen: list[np.ndarray] = []

    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        self.seen.append(image)
        return self.detections


def test_lines_found_inside_a_plate_come_back_in_frame_pixels():
    image = np.zeros((1080, 1920, 3), np.uint8)
    plate = Detection(quad(1000, 500, 1200, 550), 0.9)   # 50 px tall: enlarged to ~64 px
    line = Detection(quad(20, 10, 240, 60), 0.8)          # in the enlarged crop's pixels
    lines = Fixed(line)
    found = PlatesThenText(Fixed(plate), lines, margin=0.1, plate_height=64).detect(image)
    crop = lines.seen[0]
    zoom = crop.shape[0] / (550 + 5 + 1 - (500 - 5))      # crop height / margin-grown plate height
    assert zoom > 1
    (d,) = found
    assert d.score == 0.8
    np.testing.assert_allclose(d.corners, quad(20, 10, 240, 60) / zoom + [1000 - 20, 500 - 5], atol=1.5)


def test_a_plate_without_a_text_line_is_passed_on_whole_and_nothing_without_a_plate():
    image = np.zeros((480, 640, 3), np.uint8)
    plate = Detection(quad(100, 100, 300, 160), 0.7)
    assert PlatesThenText(Fixed(plate), Fixed()).detect(image) == [plate]
    lines = Fixed(Detection(quad(0, 0, 50, 20), 0.9))
    assert PlatesThenText(Fixed(), lines).detect(image) == []
    assert lines.seen == []  # the text detector never ran on a frame without plates


def test_plates_at_the_frame_edge_are_clipped_and_slivers_skipped():
    image = np.zeros((100, 200, 3), np.uint8)
    edge = Detection(quad(150, 70, 230, 110), 0.9)       # runs off the right and bottom edges
    sliver = Detection(quad(-10, -10, 1, 1), 0.9)        # almost nothing inside the frame
    lines = Fixed()
    found = PlatesThenText(Fixed(edge, sliver), lines).detect(image)
    assert found == [edge]
    assert len(lines.seen) == 1 and lines.seen[0].shape[0] > 0
