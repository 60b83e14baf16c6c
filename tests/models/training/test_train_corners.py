"""The corner refiner's trainer: what it learns from, and a short run through to an ONNX model
the edge loads (needs torch: the train extra)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from checkpoint.corners import CornerRefiner, from_crop  # noqa: E402
from models.training.corners import GEOMETRY, PlateCornerNet  # noqa: E402
from models.training.onnx_export import MAX_DIFF  # noqa: E402
from models.training.train_corners import check_export, export, scene_samples, train  # noqa: E402

PLATE = np.float32([[100, 100], [260, 104], [258, 154], [98, 150]])


def test_each_crop_is_taught_where_the_true_corners_lie_in_it():
    image = np.zeros((300, 400, 3), np.uint8)
    found = PLATE + np.float32([[-12, -9], [10, -6], [8, 7], [-9, 8]])   # loose, as found
    crops, targets = scene_samples(image, [PLATE], [found, PLATE + 500], np.random.default_rng(0))
    assert len(crops) == 2                    # the found plate (not the one far off), jittered
    assert crops[0].shape == (64, 160, 3)
    np.testing.assert_allclose(from_crop(GEOMETRY.frame(found), targets[0].reshape(4, 2)),
                               PLATE, atol=1e-2)


def test_a_short_run_exports_a_model_the_edge_loads(tmp_path):
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (8, 64, 160, 3), dtype=np.uint8)
    targets = np.tile(GEOMETRY.prior().reshape(1, 8), (8, 1))
    model = PlateCornerNet()
    train(model, crops, targets, steps=2, lr=1e-3, batch_size=4, seed=0)
    path = tmp_path / "corners.onnx"
    export(model, path)
    assert check_export(model, path, crops) < MAX_DIFF
    refiner = CornerRefiner(path)
    assert refiner.geometry == GEOMETRY and refiner.predict(list(crops)).shape == (8, 8)
