"""CN plate crops cut as the reader cuts them, for training the recogniser on what it is fed.

The reader (``checkpoint.read.OnnxPlateReader``) cuts each plate at the plate detector's corners
(as the corner refiner frames them again), with the context its recogniser's views look at
(``reach(VIEWS)``). Those corners wander: they cut a few per cent off one side, sit a little
loose, tilt; a recogniser tuned only on crops cut at a plate's true edges reads such crops worse.
Here the committed plate detector runs, as the reader runs it, on scenes whose plates' texts are
known: synthetic scenes of CN plates (``models.training.synth_scenes``), and real scenes (the
tuning half of ``ccpd-cn-scenes``), each resized, turned and moved a little so that it is found
a little differently each time. Each plate
found is matched to the true plate it frames and cut with the reader's context.

    python -m models.training.pipeline_crops OUT_DIR [--count 40] [--seed 0]   # PNG samples
"""
from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from checkpoint.config import ReaderConfig
from checkpoint.corners import box_iou
from checkpoint.detect import PlateDetector
from checkpoint.read import build_plate_detector, build_refiner, rectify, whole_plates
from checkpoint.recognise import VIEWS, reach
from models.training.synth_plates import write_preview
from models.training.synth_scenes import (FacePool, PlateLabel, add_distractors, add_plates,
                                          camera, plate_quad, procedural_background)

#: The overlap (box IoU) a found plate must have with a true plate to be cut for it.
MIN_IOU = 0.5
#: How far (shares of the found plate's width, height) beyond the crop's context a true plate's
#: corners may lie: the border around a CN plate's characters, about 3 % of its width and
#: 12 % or more of its height. A crop that cuts more cuts characters, and would teach reading
#: what is not there.
SPARE = (0.03, 0.12)
#: Labelled plates of a scene: corners (clockwise from top-left) and text.
Truths = list[tuple[np.ndarray, str]]
Crops = tuple[list[np.ndarray], list[str]]


class PipelineCutter:
    """The plate detector, corner refiner and plate-shape filter the default reader config
    uses, and the context the CN recogniser's views want."""

    def __init__(self) -> None:
        cfg = ReaderConfig()
        detector: PlateDetector | None = build_plate_detector(cfg)
        assert detector is not None, "the default reader config reads CN plates whole"
        self.detector, self.min_height = detector, cfg.min_text_height
        self.refiner = build_refiner(cfg)
        self.context = reach(VIEWS)

    def found(self, image: np.ndarray) -> list[np.ndarray]:
        """The corners of each plate the reader would read in ``image``."""
        return [d.corners for d in whole_plates(image, self.detector, self.refiner,
                                                self.min_height)]

    def __call__(self, image: np.ndarray, truths: Truths, exact: bool) -> Crops:
        """Each plate found in ``image`` that frames one of ``truths``, cut as the reader cuts
        it, with that plate's text. ``exact``: the truths' corners are exact (synthetic), so
        crops that cut characters off are dropped (``sees_whole``); the real scenes' corners,
        segmented from loose boxes, are too rough to tell."""
        crops, texts = [], []
        for corners in self.found(image):
            i = match(corners, [q for q, _ in truths])
            if i is not None and (not exact or sees_whole(corners, truths[i][0], self.context)):
                crops.append(rectify(image, corners, self.context))
                texts.append(truths[i][1])
        return crops, texts


def match(found: np.ndarray, quads: Sequence[np.ndarray], min_iou: float = MIN_IOU) -> int | None:
    """The true plate (index into ``quads``) a found plate's corners frame: its centre inside,
    the best box IoU, at least ``min_iou``; None if none."""
    centre = tuple(float(v) for v in found.mean(axis=0))
    inside = [(i, box_iou(found, q)) for i, q in enumerate(quads)
              if cv2.pointPolygonTest(q.astype(np.float32), centre, False) >= 0]
    best = max(inside, key=lambda iq: iq[1], default=None)
    return best[0] if best is not None and best[1] >= min_iou else None


def sees_whole(found: np.ndarray, quad: np.ndarray, context: tuple[float, float],
               spare: tuple[float, float] = SPARE) -> bool:
    """Whether a crop cut at ``found`` with ``context`` holds the plate at ``quad`` but for its
    border (``spare``)."""
    unit = np.float32([[0, 0], [1, 0], [1, 1], [0, 1]])
    m = cv2.getPerspectiveTransform(found.astype(np.float32), unit)
    uv = cv2.perspectiveTransform(quad.astype(np.float32)[None], m)[0]
    reach = np.float32(context) + np.float32(spare)
    return bool(np.all(uv >= -reach) and np.all(uv <= 1 + reach))


def cn_scene(rng: np.random.Generator, faces: FacePool, h: int = 384, w: int = 512
             ) -> tuple[np.ndarray, list[PlateLabel]]:
    """A synthetic scene (``synth_scenes``' pieces) with one to four CN plates, 40-260 px wide
    (about as the detector sees the real scenes' plates; smaller ones it mostly drops as too
    small to read), among signs and grilles."""
    canvas = procedural_background(rng, h, w)
    taken: list[np.ndarray] = []
    add_distractors(rng, canvas, taken, int(rng.integers(0, 6)))
    labels = add_plates(rng, canvas, taken, int(rng.integers(1, 5)), faces, min_w=40, max_w=260)
    return camera(rng, canvas, night=rng.random() < 0.15), labels


def synthetic_pipeline_crops(seed: int | Sequence[int], count: int, cutter: PipelineCutter,
                             faces: int = 2000) -> Crops:
    """``count`` crops cut from synthetic scenes of CN plates (``numpy.random.default_rng(seed)``,
    ``faces`` pre-rendered plate faces)."""
    rng = np.random.default_rng(seed)
    pool = FacePool(int(rng.integers(2 ** 31)), faces, p_latin=0.0)
    crops: list[np.ndarray] = []
    texts: list[str] = []
    while len(crops) < count:
        image, labels = cn_scene(rng, pool)
        c, t = cutter(image, [(p.corners, p.text) for p in labels], exact=True)
        crops += c
        texts += t
    return crops[:count], texts[:count]


def load_labelled_scenes(data_dir: Path, names: set[str]) -> list[tuple[np.ndarray, Truths]]:
    """The real scenes among ``names``, sorted by name, with their plates' corners
    (``plate_quad``, from the labelled boxes) and texts."""
    with open(data_dir / "labels.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["image"] in names and r["plate"] and r["w"]]
    scenes = []
    for name in sorted({r["image"] for r in rows}):
        image = cv2.imread(str(data_dir / name), cv2.IMREAD_COLOR)
        scenes.append((image, [(plate_quad(image, np.float32([r[k] for k in "xywh"])), r["plate"])
                               for r in rows if r["image"] == name]))
    return scenes


def scene_variant(rng: np.random.Generator, image: np.ndarray, truths: Truths
                  ) -> tuple[np.ndarray, Truths]:
    """The scene resized (0.45-1.1), turned (up to 6 degrees) and moved (up to 24 px), its
    plates' corners with it: the detector finds each plate a little differently."""
    scale = float(rng.uniform(0.45, 1.1))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-6, 6)), 1.0)
    m[:, 2] += rng.uniform(-24, 24, 2)
    out = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    m[:, :2] *= scale   # from the scene's own pixels
    return out, [(cv2.transform(q[None], m)[0], t) for q, t in truths]


def real_pipeline_crops(seed: int | Sequence[int], scenes: list[tuple[np.ndarray, Truths]],
                        variants: int, cutter: PipelineCutter) -> Crops:
    """Crops cut from ``variants`` random variants (``scene_variant``) of each real scene."""
    rng = np.random.default_rng(seed)
    crops: list[np.ndarray] = []
    texts: list[str] = []
    for image, truths in scenes:
        for _ in range(variants):
            c, t = cutter(*scene_variant(rng, image, truths), exact=False)
            crops += c
            texts += t
    return crops, texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic pipeline crops as PNG files.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    crops, texts = synthetic_pipeline_crops(args.seed, args.count, PipelineCutter(), faces=200)
    write_preview(args.out, crops, texts, tile=(200, 60), columns=5)


if __name__ == "__main__":
    main()
