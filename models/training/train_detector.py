r"""Train the plate corner detector, export it to ONNX, check the export, and measure it.

Steps: (a) stream synthetic scenes (``models.training.synth_scenes``, fixed seed; half of them on
frames of the ro-dashcam training videos, MIT, with their real plates as labels) as random crops at
the working scale, and train ``models.training.detector.PlateDetNet`` (focal loss on the centre
heat map, L1 on the corner offsets near centres); (b) export ``models/plate_det.onnx`` with its
decoding constants in the metadata; (c) check onnxruntime against PyTorch; (d) evaluate through the
edge's own code (``checkpoint.detect.PlateCornerDetector``) on the held-out dash-cam videos, the
openalpr end-to-end and negative sets (AGPL-3.0, evaluation only), fresh synthetic scenes, and
speed on a 1080p frame; write ``models/plate_det.json``. The data sets are read from
``--data-dir`` (default ``$KAKOU_DATA_DIR``, else ``../shared/data``: see
``models.training.paths``).

The committed model is two stages, the second continuing the first on fresh scenes
(``make models``):

    python -m models.training.train_detector --checkpoint .models-work/plate_det_stage1.pt
    python -m models.training.train_detector --init .models-work/plate_det_stage1.pt --seed 1 \
        --steps 2400 --lr 1.5e-3 --checkpoint .models-work/plate_det_stage2.pt
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from checkpoint.detect import (Detection, PlateCornerDetector, input_size, order_corners,
                              to_blob)
from models.training.detector import CORNER_SCALE, STRIDE, Exported, PlateDetNet
from models.training.onnx_export import export_onnx, max_abs_diff
from models.training.paths import MODELS_DIR, WORK_DIR, data_root
from models.training.synth_scenes import (CN_SCENE_SET, DASHCAM_SET, HELD_OUT_VIDEOS,
                                          TRAIN_VIDEOS, FacePool, PlateLabel, box_corners,
                                          dashcam_boxes, load_cn_scenes, load_frames,
                                          render_scene)
from models.training.train_recogniser import CROP_SET, load_real

MAX_SIDE = 768
#: Seeds of the evaluation scenes and export-check scenes: fixed, whatever the training seed.
EVAL_SEED, CHECK_SEED = 10_000, 20_000


# ------------------------------------------------------------------------------------- targets

def make_targets(plates: list[PlateLabel], h: int, w: int) -> tuple[np.ndarray, ...]:
    """Heat map (Gaussian per plate centre, 1 at its cell), corner offsets and their weights.

    Offsets are taught at every cell where the plate's Gaussian exceeds 0.3, not only at the
    peak, so a peak found one cell off still carries good corners."""
    hh, ww = h // STRIDE, w // STRIDE
    heat = np.zeros((hh, ww), np.float32)
    offsets = np.zeros((8, hh, ww), np.float32)
    weight = np.zeros((hh, ww), np.float32)
    gy, gx = np.mgrid[0:hh, 0:ww].astype(np.float32)
    cells = np.stack([(gx + 0.5) * STRIDE, (gy + 0.5) * STRIDE])          # (2, hh, ww)
    for plate in plates:
        c = plate.corners
        centre = c.mean(axis=0) / STRIDE - 0.5                              # in cell units
        if not (0 <= centre[0] + 0.5 < ww and 0 <= centre[1] + 0.5 < hh):
            continue
        pw = (np.linalg.norm(c[1] - c[0]) + np.linalg.norm(c[2] - c[3])) / 2 / STRIDE
        ph = (np.linalg.norm(c[3] - c[0]) + np.linalg.norm(c[2] - c[1])) / 2 / STRIDE
        sx, sy = max(0.7, pw / 6), max(0.7, ph / 4)
        g = np.exp(-((gx - centre[0]) ** 2 / (2 * sx ** 2) + (gy - centre[1]) ** 2 / (2 * sy ** 2)))
        g[int(round(centre[1])), int(round(centre[0]))] = 1.0
        own = (g > 0.3) & (g > weight)
        heat = np.maximum(heat, g)
        weight[own] = g[own]
        rel = (c.reshape(4, 2, 1, 1) - cells[None]).reshape(8, hh, ww) / CORNER_SCALE
        offsets[:, own] = rel[:, own]
    return heat, offsets, weight


def batch_of(rng: np.random.Generator, n: int, size: int, frames, faces: FacePool,
             p_frame: float, cn_frames=None, p_cn_frame: float = 0.0) -> tuple[torch.Tensor, ...]:
    images, heats, offs, weights = [], [], [], []
    for _ in range(n):
        scene = render_scene(rng, size, size, frames=frames, p_frame=p_frame, faces=faces,
                             cn_frames=cn_frames, p_cn_frame=p_cn_frame)
        heat, off, wt = make_targets(scene.plates, size, size)
        images.append(to_blob(scene.image, scene.image.shape[:2])[0])  # the edge's own input
        heats.append(heat[None])
        offs.append(off)
        weights.append(wt[None])
    return tuple(torch.from_numpy(np.stack(a)) for a in (images, heats, offs, weights))


def cn_scene_split(folder: Path) -> tuple[list[str], list[str]]:
    """The real Chinese scenes with a plate, every other one by name tuned on, the others
    never (the recogniser's trainer splits them alike); the plate-free ones are never trained
    on either: they measure false plates."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as f:
        names = sorted({r["image"] for r in csv.DictReader(f) if r["plate"]})
    return names[0::2], names[1::2]


# ------------------------------------------------------------------------------------ training

def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, summed over cells, per plate centre."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg_w = (1 - target) ** 4
    loss = -(pos * (1 - p) ** 2 * torch.log(p) + (1 - pos) * neg_w * p ** 2 * torch.log(1 - p))
    return loss.sum() / pos.sum().clamp(min=1)


def corner_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return (torch.abs(pred - target) * weight).sum() / (weight.sum() * 8).clamp(min=1e-3)


def train(model: PlateDetNet, steps: int, lr: float, next_batch) -> float:
    """``steps`` AdamW steps with a one-cycle schedule; returns the seconds taken."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    model.train()
    start = time.perf_counter()
    bar = tqdm(range(steps), desc="train", unit="step", mininterval=10)
    avg = None
    for _ in bar:
        x, heat, offsets, weight = next_batch()
        logits, pred = model(x)
        fl, cl = focal_loss(logits, heat), corner_loss(pred, offsets, weight)
        loss = fl + cl
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        now = np.array([fl.item(), cl.item()])
        avg = now if avg is None else 0.98 * avg + 0.02 * now
        bar.set_postfix(focal=f"{avg[0]:.3f}", corner=f"{avg[1]:.4f}")
    return time.perf_counter() - start


# -------------------------------------------------------------------------------------- export

def export(model: PlateDetNet, path: Path, metadata: dict[str, str]) -> None:
    """ONNX with dynamic H and W and the decoding constants as metadata."""
    export_onnx(Exported(model), (torch.zeros(1, 3, 448, MAX_SIDE),), path,
                input_names=["x"], output_names=["heat", "corners"],
                dynamic_axes={"x": {2: "H", 3: "W"}, "heat": {2: "h", 3: "w"},
                              "corners": {2: "h", 3: "w"}},
                metadata=metadata, producer="kakou models/training/train_detector.py")


def check_export(model: PlateDetNet, path: Path, images: list[np.ndarray]) -> float:
    """Max abs difference of onnxruntime and PyTorch outputs; raises above 1e-4."""
    import onnxruntime as ort

    model.eval()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for image in images:
        x = to_blob(image, image.shape[:2])
        with torch.no_grad():
            ref = [t.numpy() for t in Exported(model)(torch.from_numpy(x))]
        worst = max(worst, max_abs_diff(ref, sess.run(None, {"x": x})))
    return worst


# ------------------------------------------------------------------------------------ evaluate

def rect(corners: np.ndarray) -> np.ndarray:
    """Axis-aligned (x0, y0, x1, y1) around corners: the labels of the real sets are boxes."""
    return np.concatenate([corners.min(axis=0), corners.max(axis=0)])


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every (x0, y0, x1, y1) box of ``a`` with every one of ``b``."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)), np.float32)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = lambda r: np.prod(r[:, 2:] - r[:, :2], axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter + 1e-9)


def match(dets: list[Detection], truth: list[np.ndarray], thr: float) -> list[tuple[int, int]]:
    """Greedy matches (detection, truth) by score, IoU of bounding boxes at least ``thr``."""
    iou = iou_matrix(np.array([rect(d.corners) for d in dets]).reshape(-1, 4),
                     np.array([rect(t) for t in truth]).reshape(-1, 4))
    pairs, used = [], set()
    for i in np.argsort([-d.score for d in dets]):
        if not len(truth):
            break
        j = int(np.argmax(np.where([k in used for k in range(len(truth))], -1, iou[i])))
        if iou[i, j] >= thr and j not in used:
            used.add(j)
            pairs.append((int(i), j))
    return pairs


def detection_figures(found: list[list[Detection]], truth: list[list[np.ndarray]],
                      thresholds: tuple[float, ...], ious: tuple[float, ...] = (0.5, 0.3)) -> dict:
    """Recall, precision and detections per image at several score thresholds and IoUs."""
    out = {}
    n_truth = sum(len(t) for t in truth)
    for thr in thresholds:
        kept = [[d for d in dets if d.score >= thr] for dets in found]
        n_det = sum(len(k) for k in kept)
        row = {"detections_per_image": round(n_det / max(len(found), 1), 3)}
        for iou in ious:
            hits = sum(len(match(k, t, iou)) for k, t in zip(kept, truth))
            row[f"recall@{iou}"] = round(hits / max(n_truth, 1), 4)
            row[f"precision@{iou}"] = round(hits / max(n_det, 1), 4)
        out[str(thr)] = row
    return out


def read_set(folder: Path) -> list[tuple[Path, list[np.ndarray]]]:
    """Images of a ``labels.csv`` set and their plate boxes as corners."""
    boxes: dict[str, list[np.ndarray]] = {}
    with open(folder / "labels.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            entry = boxes.setdefault(row["image"], [])
            if row["w"]:
                entry.append(box_corners(np.float32([row[k] for k in ("x", "y", "w", "h")])))
    return [(folder / name, b) for name, b in sorted(boxes.items())]


def run_set(det: PlateCornerDetector, items, desc: str) -> list[list[Detection]]:
    return [det.detect(cv2.imread(str(p), cv2.IMREAD_COLOR)) for p, _ in tqdm(items, desc=desc)]


def synthetic_figures(det: PlateCornerDetector, seed: int, count: int, thr: float) -> dict:
    """Recall/precision at IoU 0.5 and mean corner error on fresh procedural 768x448 scenes."""
    rng = np.random.default_rng(seed)
    scenes = [render_scene(rng, 448, MAX_SIDE) for _ in range(count)]
    found = [det.detect(s.image) for s in tqdm(scenes, desc="eval synthetic")]
    truth = [[p.corners for p in s.plates] for s in scenes]
    errors = [float(np.linalg.norm(order_corners(f[i].corners) - order_corners(t[j]), axis=1).mean())
              for f, t in zip(found, truth) for i, j in match(f, t, 0.5)]
    figures = detection_figures(found, truth, (thr,), (0.5,))[str(thr)]
    figures["mean_corner_error_px"] = round(float(np.mean(errors)), 2) if errors else None
    figures["scenes"], figures["plates"] = count, sum(len(t) for t in truth)
    return figures


def speed(det: PlateCornerDetector, frame: np.ndarray, runs: int = 30) -> dict[str, float]:
    """Milliseconds per 1920x1080 frame: the whole ``detect`` and the network alone."""
    det.detect(frame)
    t = time.perf_counter()
    for _ in range(runs):
        det.detect(frame)
    total = (time.perf_counter() - t) / runs * 1000
    h, w = input_size(frame.shape, det.max_side)
    x = np.zeros((1, 3, h, w), np.float32)
    t = time.perf_counter()
    for _ in range(runs):
        det.session.run(None, {"x": x})
    return {"input": f"{w}x{h}", "ms_detect_1080p": round(total, 2),
            "ms_network": round((time.perf_counter() - t) / runs * 1000, 2)}


def evaluate(path: Path, data: Path, synth_count: int, threshold: float) -> dict:
    """The model card's figures for the detector at ``path``; the real sets are read from
    ``data``."""
    det = PlateCornerDetector(path, threads=1, threshold=0.2)
    thresholds = (0.3, 0.4, 0.5, 0.6, 0.7)
    report: dict = {}
    dashcam = data / DASHCAM_SET
    held = [(dashcam / name, [box_corners(b) for b in frame_boxes])
            for name, frame_boxes in dashcam_boxes(HELD_OUT_VIDEOS, dashcam).items()]
    report["ro_dashcam_held_out"] = detection_figures(
        run_set(det, held, "eval dashcam"), [t for _, t in held], thresholds)
    report["ro_dashcam_held_out"]["images"] = len(held)
    for region in ("us", "eu", "br"):
        items = read_set(data / f"openalpr-endtoend-{region}")
        figs = detection_figures(run_set(det, items, f"eval {region}"), [t for _, t in items],
                                 thresholds, (0.3,))
        report[f"openalpr_endtoend_{region}"] = {k: {"recall@0.3": v["recall@0.3"],
                                                     "detections_per_image": v["detections_per_image"]}
                                                 for k, v in figs.items()}
    _, cn_unseen = cn_scene_split(data / CN_SCENE_SET)
    cn_items = [item for item in read_set(data / CN_SCENE_SET)
                if item[0].name in cn_unseen or not item[1]]
    figs = detection_figures(run_set(det, cn_items, "eval cn scenes"), [t for _, t in cn_items],
                             thresholds, (0.5, 0.3))
    report["ccpd_cn_scenes_unseen"] = {"images": len(cn_items),
                                       "plates": sum(len(t) for _, t in cn_items), **figs}
    negatives = read_set(data / "openalpr-negatives")
    found = run_set(det, negatives, "eval negatives")
    report["openalpr_negatives"] = {
        "images": len(negatives),
        "detections_per_image": {str(t): round(sum(d.score >= t for f in found for d in f)
                                               / len(negatives), 4) for t in thresholds}}
    det.threshold = threshold
    report["synthetic_held_out"] = synthetic_figures(det, EVAL_SEED, synth_count, threshold)
    frame = cv2.imread(str(read_set(data / "openalpr-endtoend-us")[0][0]), cv2.IMREAD_COLOR)
    report["speed_1080p_one_thread"] = speed(det, cv2.resize(frame, (1920, 1080)))
    return report


# ---------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="seed for torch, numpy and the renderer")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--crop", type=int, default=320, help="square training crops, working scale")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    p.add_argument("--p-frame", type=float, default=0.5,
                   help="share of scenes on ro-dashcam training frames (real plates)")
    p.add_argument("--faces", type=int, default=3000, help="pre-rendered plate faces")
    p.add_argument("--p-latin", type=float, default=0.45,
                   help="share of the pre-rendered faces that are Latin plates (the rest Chinese)")
    p.add_argument("--p-real-cn", type=float, default=0.2,
                   help="share of pasted plates that are real CN crops (lprnet-cn-crops' tuning "
                        "half, Apache-2.0)")
    p.add_argument("--p-cn-frame", type=float, default=0.1,
                   help="share of scenes on the real Chinese scenes' tuning half (CCPD, MIT)")
    p.add_argument("--threshold", type=float, default=0.5, help="default heat threshold (metadata)")
    p.add_argument("--eval-synth", type=int, default=200)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--init", type=Path, default=None,
                   help="start from these weights (the --checkpoint of another run)")
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="save the trained weights here; with --steps 0, load them instead "
                        f"(make models keeps its stages in {WORK_DIR.name}/)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder of the data sets (ro-dashcam-scenes, openalpr-*); "
                        "None: $KAKOU_DATA_DIR if set, else ../shared/data")
    p.add_argument("--out", type=Path, default=MODELS_DIR / "plate_det.onnx")
    args = p.parse_args(argv)
    data = data_root(args.data_dir)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    model = PlateDetNet()
    n_params = sum(q.numel() for q in model.parameters())

    t0 = time.perf_counter()
    frames = load_frames(TRAIN_VIDEOS, data / DASHCAM_SET)
    cn_tune, _ = cn_scene_split(data / CN_SCENE_SET)
    cn_frames = load_cn_scenes(data / CN_SCENE_SET, set(cn_tune))
    crops, crop_texts, crop_names = load_real(data / CROP_SET)
    tune_crops = [(crops[i], crop_texts[i]) for i in range(0, len(crops), 2)]
    faces = FacePool(args.seed + 1, args.faces, args.p_latin, tune_crops, args.p_real_cn)
    render_s = time.perf_counter() - t0
    if args.init:
        model.load_state_dict(torch.load(args.init))
    if args.steps:
        train_s = train(model, args.steps, args.lr, lambda: batch_of(
            rng, args.batch_size, args.crop, frames, faces, args.p_frame, cn_frames,
            args.p_cn_frame))
        if args.checkpoint:
            args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), args.checkpoint)
    else:
        model.load_state_dict(torch.load(args.checkpoint))
        train_s = 0.0
    model.eval()

    metadata = {"stride": str(STRIDE), "corner_scale": str(int(CORNER_SCALE)),
                "max_side": str(MAX_SIDE), "threshold": str(args.threshold)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(model, args.out, metadata)
    check_rng = np.random.default_rng(CHECK_SEED)
    diff = check_export(model, args.out, [render_scene(check_rng, 448, MAX_SIDE).image
                                          for _ in range(3)])
    t1 = time.perf_counter()
    figures = evaluate(args.out, data, args.eval_synth, args.threshold)
    report = {
        "model": args.out.name,
        "architecture": "depthwise-separable backbone 16-24-40-64-96 ch to stride 32, FPN (32 ch) "
                        "to stride 4; heads: centre heat map (sigmoid), 8 corner offsets",
        "parameters": n_params,
        "onnx_bytes": args.out.stat().st_size,
        "metadata": metadata,
        **figures,
        "onnx_vs_torch_max_abs_diff": diff,
        "seconds": {"setup": round(render_s, 1), "train": round(train_s, 1),
                    "evaluate": round(time.perf_counter() - t1, 1)},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k not in ("out", "checkpoint", "data_dir")},
        "seeds": {"torch": args.seed, "numpy": args.seed, "plate_faces": args.seed + 1,
                  "synthetic_eval": EVAL_SEED, "export_check": CHECK_SEED},
        "data": [
            {"name": "ro-dashcam-scenes (RobertLucian/license-plate-dataset)", "licence": "MIT",
             "train": f"frames of {', '.join(TRAIN_VIDEOS)} as backgrounds, real plates labelled",
             "test": f"frames of {', '.join(HELD_OUT_VIDEOS)}, never trained on"},
            {"name": "ccpd-cn-scenes (CCPD)", "licence": "MIT",
             "train": "every other scene with a plate by file name, as backgrounds with its "
                      "real plate labelled", "test": "the others and the plate-free scenes"},
            {"name": "lprnet-cn-crops (sirius-ai/LPRNet_Pytorch data/test)",
             "licence": "Apache-2.0",
             "train": "every other crop by file name (the CN recogniser's tuning half), "
                      "perspective-warped and pasted into scenes", "test": "never used"},
            {"name": "synthetic plates: checkpoint/lab/cn_plates.py (cn), "
                     "models/training/synth_latin.py (eu/us/br/ro); scenes and distractors: "
                     "models/training/synth_scenes.py",
             "fonts": "DejaVu (Bitstream Vera licence), WenQuanYi Micro Hei (Apache-2.0 / GPL-3 "
                      "with font exception), Noto Sans CJK Bold, Liberation Sans Bold (SIL OFL "
                      "1.1), Roboto Condensed Bold (Apache-2.0)"},
            {"name": "openalpr-endtoend-us/eu/br, openalpr-negatives", "licence": "AGPL-3.0",
             "use": "evaluation only, never trained on"},
        ],
        "machine": {"cpu_threads": args.threads, "cpus": os.cpu_count(),
                    "torch": torch.__version__, "python": platform.python_version()},
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("ro_dashcam_held_out", "openalpr_negatives",
                                             "synthetic_held_out", "speed_1080p_one_thread")},
                     indent=2))


if __name__ == "__main__":
    main()
