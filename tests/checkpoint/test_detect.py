"""How the plate and text detectors compose (plates then text lines; text lines gated by plate
heat), with stand-in detectors and hand-made plate maps."""
from __future__ import annotations

import numpy as np

from checkpoint.detect import Detection, PlateGatedText, PlateMaps, PlatesThenText, whole_units


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


def maps_with(patches: list[tuple[int, int, int, int]], shape=(60, 100), stride=4, sx=2.0, sy=2.0,
              heat: float = 0.9) -> PlateMaps:
    """Plate maps with heat on the given cell rectangles (c1, r1, c2, r2) and zero corner
    offsets, for an image ``stride * s`` times the map's size."""
    h = np.zeros(shape, np.float32)
    for c1, r1, c2, r2 in patches:
        h[r1:r2, c1:c2] = heat
    return PlateMaps(h, np.zeros((8, *shape), np.float32), stride, 16.0, sx, sy)


def test_windows_cover_each_heat_patch_grown_by_reach():
    maps = maps_with([(10, 10, 20, 13)])          # cells 10..19 x 10..12: input px 40..80 x 40..52
    (window,) = maps.windows(0.5, 1.0, (480, 800))
    # in image px (x2): 80..160 x 80..104, grown by its own size, 80 x 24 (>= 2 cells = 16)
    assert window == (0, 56, 240, 128)
    assert maps.windows(0.95, 1.0, (480, 800)) == []   # no heat reaches the gate


def test_windows_grow_to_the_plate_the_corners_predict_and_merge():
    maps = maps_with([(10, 10, 12, 12), (40, 40, 42, 42)])
    maps.corners[0, 10:12, 10:12] = -2.0          # corner x offsets of the first patch: 32 px left
    a, b = maps.windows(0.5, 0.0, (480, 800))
    assert a[0] <= (10 * 4 - 32) * 2 and b[0] > 300  # widened to the predicted corner, not merged
    near = maps_with([(10, 10, 14, 12), (17, 10, 21, 12)])
    assert len(near.windows(0.5, 1.0, (480, 800))) == 1  # grown into each other: one window


def test_whole_units_widens_a_window_to_whole_network_cells_at_the_scale():
    x1, y1, x2, y2 = whole_units((100, 100, 170, 130), 0.5, (1080, 1920))
    assert x1 <= 100 and y1 <= 100 and x2 >= 170 and y2 >= 130
    assert ((x2 - x1) * 0.5) % 32 == 0 and ((y2 - y1) * 0.5) % 32 == 0
    assert whole_units((0, 0, 10, 10), 0.5, (1080, 1920))[:2] == (0, 0)   # kept inside the image
    assert whole_units((1900, 1070, 1920, 1080), 0.5, (1080, 1920))[2:] == (1920, 1080)


class FixedMaps:
    def __init__(self, maps: PlateMaps, threshold: float = 0.5) -> None:
        self._maps = maps
        self.threshold = threshold

    def maps(self, image: np.ndarray, scale: float | None = None) -> PlateMaps:
        return self._maps


class Lines(Fixed):
    max_side = 960


def test_gated_text_searches_only_around_plate_heat_and_keeps_lines_near_it():
    image = np.zeros((480, 800, 3), np.uint8)
    maps = maps_with([(10, 10, 20, 13)])             # a plate around image px 80..160 x 80..104
    on_plate = Detection(quad(30, 30, 110, 50), 0.9)   # window pixels
    far = Detection(quad(180, 0, 230, 10), 0.9)        # in the window, but far from the heat
    lines = Lines(on_plate, far)
    found = PlateGatedText(FixedMaps(maps), lines, gate=0.5, look_closer=False).detect(image)
    (window,) = lines.seen
    assert window.shape[0] < 480 and window.shape[1] < 800  # not the whole frame
    (d,) = found
    x1, y1, _, _ = whole_units((0, 56, 240, 128), 1.0, image.shape)
    np.testing.assert_allclose(d.corners, quad(30, 30, 110, 50) + [x1, y1])
    cold = Lines(on_plate)
    assert PlateGatedText(FixedMaps(maps_with([])), cold).detect(image) == []
    assert cold.seen == []  # no plate heat: the text detector never ran


def one_plate_maps() -> PlateMaps:
    """Maps of one plate, found outright (heat 0.9 in one cell): its corners 80 x 24 input px
    about the cell's centre (62, 46), so image px 44..204 x 68..116 (x2)."""
    maps = maps_with([(15, 11, 16, 12)])
    maps.corners[:, 11, 15] = np.array([-40, -12, 40, -12, 40, 12, -40, 12]) / 16.0
    return maps


class PlateSized(Lines):
    """Finds its lines only in an image about a plate tall: the closer look, not a window."""

    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        self.seen.append(image)
        return self.detections if image.shape[0] <= 80 else []


def test_gated_text_looks_closer_at_a_plate_whose_number_showed_no_line():
    image = np.zeros((480, 800, 3), np.uint8)
    plate = quad(44, 68, 204, 116)
    line = Detection(quad(10, 20, 150, 45), 0.8)           # in the plate crop's pixels
    lines = PlateSized(line)
    (d,) = PlateGatedText(FixedMaps(one_plate_maps()), lines, gate=0.5).detect(image)
    window, crop = lines.seen                               # the window found nothing; then the plate
    assert window.shape[0] > 80 and crop.shape[0] <= 80
    margin = (plate.max(axis=0) - plate.min(axis=0)) * 0.12
    x1, y1 = (plate.min(axis=0) - margin).astype(int)
    zoom = crop.shape[0] / (int(116 + margin[1] + 1) - y1)
    np.testing.assert_allclose(d.corners, quad(10, 20, 150, 45) / zoom + [x1, y1], atol=1.0)
    assert d.score == 0.8
    plate_box = PlateSized()                                 # nothing in the plate either:
    assert PlateGatedText(FixedMaps(one_plate_maps()), plate_box, gate=0.5).detect(image) == []
    assert len(plate_box.seen) == 2                          # the plate box is not read whole


def test_gated_text_looks_no_closer_where_a_line_was_found_or_no_plate_is_sure():
    image = np.zeros((480, 800, 3), np.uint8)
    on_plate = Detection(quad(40, 40, 160, 70), 0.9)       # window pixels; touches the plate
    lines = Lines(on_plate)
    assert len(PlateGatedText(FixedMaps(one_plate_maps()), lines, gate=0.5).detect(image)) == 1
    assert len(lines.seen) == 1                              # no second search
    unsure = PlateSized(Detection(quad(10, 20, 150, 45), 0.8))
    found = PlateGatedText(FixedMaps(one_plate_maps(), threshold=0.95), unsure, gate=0.5).detect(image)
    assert found == [] and len(unsure.seen) == 1             # heat 0.9 passes the gate, not 0.95
    off = PlateSized(Detection(quad(10, 20, 150, 45), 0.8))
    assert PlateGatedText(FixedMaps(one_plate_maps()), off, gate=0.5,
                          look_closer=False).detect(image) == []
