"""The committed plate corner detector (models/plate_det.onnx) through the edge's code: the
decoder (``checkpoint.detect.decode_plates``) on a hand-made map, and the model on a synthetic
scene with a known plate."""
from __future__ import annotations

import numpy as np

from checkpoint.detect import PlateCornerDetector, decode_plates
from models.training.paths import MODELS_DIR
from models.training.synth_scenes import camera, paste, plate_face, procedural_background

MODEL = MODELS_DIR / "plate_det.onnx"


def _offsets(corners: np.ndarray, row: int, col: int, stride: int, scale: float) -> np.ndarray:
    centre = np.float32([(col + 0.5) * stride, (row + 0.5) * stride])
    return ((corners - centre) / scale).reshape(8)


def test_decode_plates_hand_made_map():
    stride, scale = 4, 16.0
    heat = np.zeros((20, 40), np.float32)
    corners = np.zeros((8, 20, 40), np.float32)
    plate = np.float32([[22, 16], [62, 16], [62, 28], [22, 28]])   # network input pixels
    other = np.float32([[100, 50], [140, 54], [139, 66], [99, 62]])
    heat[5, 10], heat[5, 11] = 0.9, 0.8        # a peak and its weaker neighbour (not a peak)
    heat[5, 14] = 0.7                           # a second peak on the same plate: NMS drops it
    heat[14, 30] = 0.6
    heat[2, 2] = 0.3                            # below the threshold
    for row, col in ((5, 10), (5, 11), (5, 14)):
        corners[:, row, col] = _offsets(plate, row, col, stride, scale)
    corners[:, 14, 30] = _offsets(other[[2, 3, 0, 1]], 14, 30, stride, scale)  # any order in
    found = decode_plates(heat, corners, stride, scale, 0.5, 2.0, 3.0)
    assert [round(d.score, 2) for d in found] == [0.9, 0.6]
    np.testing.assert_allclose(found[0].corners, plate * [2.0, 3.0], atol=1e-3)
    np.testing.assert_allclose(found[1].corners, other * [2.0, 3.0], atol=1e-3)  # clockwise out
    assert decode_plates(heat, corners, stride, scale, 0.95, 1.0, 1.0) == []


def test_committed_model_finds_a_synthetic_plate():
    rng = np.random.default_rng(3)
    canvas = procedural_background(rng, 540, 960)
    face, _, _ = plate_face(rng)
    width = 180.0
    height = width * face.shape[0] / face.shape[1]
    plate = np.float32([[390, 240], [390 + width, 236], [391 + width, 236 + height],
                        [391, 240 + height]])                   # a slight perspective
    paste(canvas, face, plate)
    image = camera(rng, canvas, night=False)
    found = PlateCornerDetector(MODEL).detect(image)
    assert len(found) == 1
    error = np.linalg.norm(found[0].corners - plate, axis=1)
    # a wiring check, not a benchmark (the card's mean corner error is 10 px): a decode or
    # scaling fault is off by far more than 8 % of the plate's width
    assert error.max() < 0.08 * width, (found[0].corners, plate)
