"""The committed corner refiner (models/plate_corners.onnx) through the edge's code: on synthetic
scenes with known plates, the corners it gives are nearer the true ones than the detector's."""
from __future__ import annotations

import numpy as np
import pytest

from models.training.paths import MODELS_DIR

MODEL = MODELS_DIR / "plate_corners.onnx"

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="models/plate_corners.onnx not built")


def test_refined_corners_are_nearer_the_plates_than_the_detectors():
    from checkpoint.config import ReaderConfig
    from checkpoint.corners import UNIT, CornerRefiner, to_crop
    from checkpoint.read import build_plate_detector, plate_shaped
    from models.training.pipeline_crops import cn_scene, match
    from models.training.synth_scenes import FacePool

    rng = np.random.default_rng(7)
    pool = FacePool(1, 60, p_latin=0.0)
    detector, refiner = build_plate_detector(ReaderConfig()), CornerRefiner(MODEL)
    found_miss, refined_miss = [], []
    while len(found_miss) < 30:
        image, labels = cn_scene(rng, pool)
        quads = [p.corners.astype(np.float32) for p in labels]
        for d in detector.detect(image):
            i = match(d.corners, quads) if plate_shaped(d.corners, 14) else None
            if i is None:
                continue
            (refined,) = refiner.refine(image, [d])
            found_miss.append(np.abs(to_crop(quads[i], d.corners) - UNIT).mean())
            refined_miss.append(np.abs(to_crop(quads[i], refined.corners) - UNIT).mean())
    # the card: 11 % of the plate's size as found, 3 % refined; a wiring fault (the crop's
    # geometry, the order of the corners) puts them further off than the detector's
    assert np.mean(refined_miss) < 0.6 * np.mean(found_miss), (np.mean(refined_miss),
                                                                np.mean(found_miss))
