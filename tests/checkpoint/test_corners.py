"""Detections → plate corners: the refiner's crop geometry, and one plate per refined group."""
import numpy as np
import pytest

from checkpoint.corners import (CornerRefiner, CropGeometry, box_iou, from_crop,
                                one_per_plate, to_crop)
from checkpoint.detect import Detection
from checkpoint.onnx_models import ModelError

GEOMETRY = CropGeometry(size=(160, 64), context=(0.2, 0.4))


def quad(rng: np.random.Generator) -> np.ndarray:
    """A plate-like quadrilateral with some perspective, clockwise from top-left."""
    x, y, w = rng.uniform(50, 300), rng.uniform(50, 200), rng.uniform(40, 200)
    h = w / rng.uniform(2.0, 4.0)
    return (np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
            + rng.normal(0, 0.05 * h, (4, 2)).astype(np.float32))


def test_points_go_into_the_crop_and_back():
    rng = np.random.default_rng(0)
    for _ in range(20):
        frame = GEOMETRY.frame(quad(rng))
        points = rng.uniform(0, 400, (6, 2)).astype(np.float32)
        np.testing.assert_allclose(from_crop(frame, to_crop(frame, points)), points, atol=1e-2)


def test_the_found_corners_lie_where_the_prior_says():
    rng = np.random.default_rng(1)
    for _ in range(10):
        corners = quad(rng)
        np.testing.assert_allclose(to_crop(GEOMETRY.frame(corners), corners), GEOMETRY.prior(),
                                   atol=1e-4)
    # the found plate takes the middle of the crop: 1 / 1.4 of its width, 1 / 1.8 of its height
    np.testing.assert_allclose(GEOMETRY.prior()[2] - GEOMETRY.prior()[0], [1 / 1.4, 1 / 1.8],
                               atol=1e-6)


def test_the_crop_shows_the_plate_around_its_corners():
    image = np.zeros((300, 400, 3), np.uint8)
    image[100:140, 100:260] = 255                     # a white plate, 160 x 40
    corners = np.float32([[100, 100], [260, 100], [260, 140], [100, 140]])
    crop, frame = GEOMETRY.cut(image, corners)
    assert crop.shape == (64, 160, 3)
    (u0, v0), (u1, v1) = GEOMETRY.prior()[0] * [160, 64], GEOMETRY.prior()[2] * [160, 64]
    assert (crop[int(v0) + 2:int(v1) - 2, int(u0) + 2:int(u1) - 2] == 255).all()
    assert (crop[:int(v0) - 2] == 0).all() and (crop[:, :int(u0) - 2] == 0).all()
    np.testing.assert_allclose(frame[0], [100 - 0.2 * 160, 100 - 0.4 * 40], atol=1e-3)


def box(x: float, y: float, w: float, h: float, score: float) -> Detection:
    return Detection(np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]), score)


def test_box_iou():
    a, b = box(0, 0, 10, 10, 1).corners, box(5, 0, 10, 10, 1).corners
    assert box_iou(a, a) == pytest.approx(1.0)
    assert box_iou(a, b) == pytest.approx(50 / 150)
    assert box_iou(a, box(20, 20, 5, 5, 1).corners) == 0.0


def test_detections_refined_onto_one_plate_keep_the_surest_in_order():
    left, other, right = box(0, 0, 100, 30, 0.6), box(300, 0, 100, 30, 0.5), box(5, 1, 98, 30, 0.9)
    assert one_per_plate([left, other, right]) == [other, right]
    assert one_per_plate([left, other]) == [left, other]
    assert one_per_plate([]) == []


def test_a_model_without_the_refiners_crop_geometry_is_refused():
    from checkpoint.onnx_models import PROJECT_MODELS

    with pytest.raises(ModelError, match="plate_det.onnx.*geometry"):
        CornerRefiner(PROJECT_MODELS / "plate_det.onnx")
