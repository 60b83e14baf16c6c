import numpy as np

from checkpoint.motion import MotionGate, clip, grow, union


def frame(box=None, size=(360, 640)):
    img = np.full((*size, 3), 90, np.uint8)
    if box:
        x1, y1, x2, y2 = box
        img[y1:y2, x1:x2] = 230
    return img


def test_first_frame_is_all_new_then_a_still_road_is_skipped():
    gate = MotionGate()
    assert gate.update(frame()) == (0, 0, 640, 360)
    assert gate.update(frame()) is None
    noisy = frame().astype(np.int16) + np.random.default_rng(0).integers(-4, 5, (360, 640, 3))
    assert gate.update(noisy.clip(0, 255).astype(np.uint8)) is None  # sensor noise is not motion


def test_moving_vehicle_is_boxed():
    gate = MotionGate()
    gate.update(frame((100, 100, 200, 160)))
    x1, y1, x2, y2 = gate.update(frame((140, 120, 240, 180)))
    assert x1 <= 100 + 8 and x2 >= 240 - 8 and y1 <= 100 + 8 and y2 >= 180 - 8
    assert x2 - x1 < 320  # only the moving part, not the whole frame


def test_box_helpers():
    assert union([]) is None
    assert union([(0, 0, 10, 10), (5, 5, 20, 30)]) == (0, 0, 20, 30)
    assert grow((100, 100, 200, 120), 0.5, 640, 360) == (50, 84, 250, 136)
    assert grow((0, 0, 10, 10), 0.5, 20, 20) == (0, 0, 20, 20)
    assert clip((0, 0, 100, 100), (50, 50, 200, 200)) == (50, 50, 100, 100)
    assert clip((0, 0, 10, 10), (50, 50, 200, 200)) is None


def test_overlapping_boxes_merge_until_none_overlap():
    from checkpoint.motion import merge_overlapping

    assert merge_overlapping([]) == []
    apart = [(0, 0, 10, 10), (20, 0, 30, 10)]
    assert merge_overlapping(apart) == apart
    # the third box overlaps only the union of the first two, so the merge must look back
    chain = [(0, 0, 10, 10), (40, 0, 50, 10), (8, 0, 42, 4)]
    assert merge_overlapping(chain) == [(0, 0, 50, 10)]
    assert merge_overlapping([(0, 0, 10, 10), (10, 10, 20, 20)]) == [(0, 0, 20, 20)]  # touching
