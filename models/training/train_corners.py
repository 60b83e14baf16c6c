r"""Train the plate corner refiner, export it to ONNX, check the export, and measure it.

Steps: (a) render synthetic scenes of CN plates (``models.training.pipeline_crops.cn_scene``,
fixed seed) and cut, for each plate, the crops the refiner will be given: around the corners
the committed plate detector finds for it, and around its true corners moved as far as the
detector's miss them; the target is the plate's true corners in each crop; (b) train
``models.training.corners.PlateCornerNet`` (smooth L1); (c) export ``models/plate_corners.onnx``
with its crop geometry in the metadata, check onnxruntime against PyTorch; (d) measure through
the edge's own code (``checkpoint.corners.CornerRefiner``) on fresh scenes: how far the corners
are from the true ones, found and refined, and how many plates the CN recogniser then reads
right and wrong over the edge's confidence floor; write ``models/plate_corners.json``.

Synthetic only: no real image is trained on (the real scenes' labels are boxes, not corners).

    python -m models.training.train_corners --threads 2  # the committed model
    python -m models.training.train_corners --remeasure  # its card's figures, measured again
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from checkpoint.config import ReaderConfig
from checkpoint.corners import UNIT, CornerRefiner, blob, to_crop
from checkpoint.detect import PlateDetector
from checkpoint.read import (build_plate_detector, build_reader, plate_shaped, rectify,
                             sure_enough, to_plate_read)
from models.training.corners import GEOMETRY, PlateCornerNet
from models.training.onnx_export import export_onnx, max_abs_diff
from models.training.paths import MODELS_DIR
from models.training.pipeline_crops import cn_scene, match
from models.training.synth_scenes import FacePool

#: Seeds of the evaluation and export-check scenes: fixed, whatever the training seed.
EVAL_SEED, CHECK_SEED = 10_000, 20_000
#: How far the true corners are moved for the jittered samples (shares of the plate's width and
#: height): each corner on its own, and all four together; about as far as the detector misses
#: them (its mean miss: 8 % and 15 %).
CORNER_JITTER, SHIFT_JITTER = (0.09, 0.17), (0.04, 0.06)


def jittered(rng: np.random.Generator, quad: np.ndarray) -> np.ndarray:
    """The corners of ``quad`` moved as the detector's miss them."""
    uv = (UNIT + rng.normal(0, 1, (4, 2)) * CORNER_JITTER
          + rng.normal(0, 1, 2) * SHIFT_JITTER).astype(np.float32)
    return cv2.perspectiveTransform(uv[None], cv2.getPerspectiveTransform(UNIT, quad))[0]


def scene_samples(image: np.ndarray, quads: list[np.ndarray], found: list[np.ndarray],
                  rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Crops of one scene and their targets: each found plate that frames a true one, and each
    true plate with jittered corners."""
    around = [(f, quads[i]) for f in found if (i := match(f, quads)) is not None]
    around += [(jittered(rng, q), q) for q in quads]
    crops, targets = [], []
    for corners, truth in around:
        crop, frame = GEOMETRY.cut(image, corners)
        crops.append(crop)
        targets.append(to_crop(frame, truth).reshape(-1))
    return crops, targets


def render_samples(seed: int, scenes: int, detector: PlateDetector, min_height: float,
                   faces: int) -> tuple[np.ndarray, np.ndarray]:
    """Crops (N, H, W, 3) uint8 and targets (N, 8) from ``scenes`` synthetic scenes."""
    rng = np.random.default_rng(seed)
    pool = FacePool(int(rng.integers(2 ** 31)), faces, p_latin=0.0)
    crops: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for _ in tqdm(range(scenes), desc="scenes", unit="scene"):
        image, labels = cn_scene(rng, pool)
        found = [d.corners for d in detector.detect(image) if plate_shaped(d.corners, min_height)]
        c, t = scene_samples(image, [p.corners.astype(np.float32) for p in labels], found, rng)
        crops += c
        targets += t
    return np.stack(crops), np.stack(targets).astype(np.float32)


def train(model: PlateCornerNet, crops: np.ndarray, targets: np.ndarray, *, steps: int,
          lr: float, batch_size: int, seed: int) -> float:
    """AdamW, one-cycle schedule, smooth L1; each crop's contrast and brightness jittered.
    Returns the seconds taken."""
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(model.parameters(), lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    model.train()
    t0 = time.perf_counter()
    bar = tqdm(range(steps), desc="train", unit="step")
    for _ in bar:
        idx = rng.integers(0, len(crops), batch_size)
        x = crops[idx].astype(np.float32)
        gain = rng.uniform(0.7, 1.3, (batch_size, 1, 1, 1))
        x = np.clip((x - 128) * gain + 128 + rng.uniform(-30, 30, (batch_size, 1, 1, 1)), 0, 255)
        loss = torch.nn.functional.smooth_l1_loss(model(torch.from_numpy(blob(x))),
                                                  torch.from_numpy(targets[idx]), beta=0.02)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
    model.eval()
    return time.perf_counter() - t0


def metadata() -> dict[str, str]:
    (w, h), (cx, cy) = GEOMETRY.size, GEOMETRY.context
    return {"width": str(w), "height": str(h), "context_x": str(cx), "context_y": str(cy)}


def export(model: PlateCornerNet, path: Path) -> None:
    w, h = GEOMETRY.size
    export_onnx(model, (torch.zeros(1, 3, h, w),), path, input_names=["x"],
                output_names=["corners"], dynamic_axes={"x": {0: "n"}, "corners": {0: "n"}},
                metadata=metadata(), producer="kakou train_corners")


def check_export(model: PlateCornerNet, path: Path, crops: np.ndarray) -> float:
    """Largest difference between onnxruntime's corners and PyTorch's on ``crops``."""
    x = blob(crops)
    with torch.no_grad():
        reference = model(torch.from_numpy(x)).numpy()
    return max_abs_diff([reference], [CornerRefiner(path).predict(crops)])


def corner_miss(corners: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Mean distance of each corner from the true one, (x, y) shares of the plate's size."""
    return np.abs(to_crop(truth, corners) - UNIT).mean(axis=0)


def evaluate(path: Path, scenes: int) -> dict:
    """Found against refined corners on fresh synthetic scenes, through the edge's code: the
    corners' miss, and the plates the default CN recogniser reads over the edge's confidence
    floors (``reader.min_confidence``, ``reader.min_char_confidence``)."""
    cfg = ReaderConfig(corner_model=None)
    reader = build_reader(cfg)
    detector, recogniser = reader.whole, reader.recognisers.for_region("cn")
    char_floor = cfg.min_char_confidence.get("cn", 0.0)
    refiner = CornerRefiner(path)
    rng = np.random.default_rng(EVAL_SEED)
    pool = FacePool(int(rng.integers(2 ** 31)), 1000, p_latin=0.0)
    miss: dict[str, list[np.ndarray]] = {"found": [], "refined": []}
    reads = {k: {"right": 0, "wrong": 0} for k in miss}
    plates, seconds = 0, 0.0
    for _ in tqdm(range(scenes), desc="evaluate", unit="scene"):
        image, labels = cn_scene(rng, pool)
        quads = [p.corners.astype(np.float32) for p in labels]
        plates += len(quads)
        for d in detector.detect(image):
            i = match(d.corners, quads) if plate_shaped(d.corners, cfg.min_text_height) else None
            if i is None:
                continue
            t0 = time.perf_counter()
            refined = refiner.refine(image, [d])[0].corners
            seconds += time.perf_counter() - t0
            for key, corners in (("found", d.corners), ("refined", refined)):
                miss[key].append(corner_miss(corners, quads[i]))
                crop = rectify(image, corners, recogniser.context)
                read = to_plate_read(recogniser.recognise([crop], recogniser.context)[0],
                                     corners, "cn")
                if read is not None and sure_enough(read, cfg.min_confidence, char_floor):
                    reads[key]["right" if read.text == labels[i].text else "wrong"] += 1
    matched = len(miss["found"])
    return {
        "synthetic_scenes": scenes, "plates": plates, "plates_found": matched,
        "corner_miss_found": [round(float(v), 4) for v in np.mean(miss["found"], axis=0)],
        "corner_miss_refined": [round(float(v), 4) for v in np.mean(miss["refined"], axis=0)],
        "reads_over_floor_found": reads["found"], "reads_over_floor_refined": reads["refined"],
        "ms_per_plate": round(1000 * seconds / max(matched, 1), 2),
    }


def remeasure(path: Path, scenes: int) -> None:
    """The model's figures measured again, its card's ``evaluation`` rewritten."""
    card = path.with_suffix(".json")
    report = json.loads(card.read_text())
    report["evaluation"] = figures = evaluate(path, scenes)
    card.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=2))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="seed for torch, numpy and the renderer")
    p.add_argument("--scenes", type=int, default=5000, help="synthetic scenes to cut crops from")
    p.add_argument("--faces", type=int, default=1500, help="pre-rendered plate faces")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    p.add_argument("--eval-scenes", type=int, default=300)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--out", type=Path, default=MODELS_DIR / "plate_corners.onnx")
    p.add_argument("--remeasure", action="store_true",
                   help="train nothing: measure the model at --out again and rewrite its card's "
                        "figures (after a change in how the edge reads)")
    args = p.parse_args(argv)
    if args.remeasure:
        remeasure(args.out, args.eval_scenes)
        return

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cfg = ReaderConfig()
    detector = build_plate_detector(cfg)
    assert detector is not None, "the default reader config reads CN plates whole"
    t0 = time.perf_counter()
    crops, targets = render_samples(args.seed, args.scenes, detector, cfg.min_text_height,
                                    args.faces)
    render_s = time.perf_counter() - t0
    model = PlateCornerNet()
    train_s = train(model, crops, targets, steps=args.steps, lr=args.lr,
                    batch_size=args.batch_size, seed=args.seed + 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(model, args.out)
    check = render_samples(CHECK_SEED, 3, detector, cfg.min_text_height, 50)[0]
    diff = check_export(model, args.out, check)
    t1 = time.perf_counter()
    figures = evaluate(args.out, args.eval_scenes)
    report = {
        "model": args.out.name,
        "architecture": "5 conv 3x3 (16-32-48-64-96 ch, BatchNorm, ReLU; 4 of stride 2) to a "
                        "10 x 4 map, 2 fully connected layers (64, 8): corners as offsets from "
                        "the found ones",
        "parameters": sum(q.numel() for q in model.parameters()),
        "onnx_bytes": args.out.stat().st_size,
        "metadata": metadata(),
        "training_samples": len(crops),
        "evaluation": figures,
        "onnx_vs_torch_max_abs_diff": diff,
        "seconds": {"render": round(render_s, 1), "train": round(train_s, 1),
                    "evaluate": round(time.perf_counter() - t1, 1)},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k != "out"},
        "seeds": {"torch": args.seed, "numpy": args.seed, "train_order": args.seed + 1,
                  "synthetic_eval": EVAL_SEED, "export_check": CHECK_SEED},
        "data": [{"name": "synthetic CN scenes (checkpoint/lab/cn_plates.py, "
                          "models/training/synth_scenes.py)",
                  "licence": "the project's own; fonts from Debian packages (models/README.md)",
                  "train": f"{args.scenes} scenes, seed {args.seed}",
                  "test": f"{args.eval_scenes} fresh scenes, seed {EVAL_SEED}"}],
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "cpu_threads": args.threads},
    }
    card = args.out.with_suffix(".json")
    card.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
