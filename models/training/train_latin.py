"""Train the Latin plate recogniser (EU, US, BR, RO plates), export it to ONNX, check and measure it.

Steps: (a) pseudo-label real Romanian dash-cam plates: PP-OCR (the edge's default reader) reads the
labelled plates of the training videos of ``ro-dashcam-scenes`` (MIT) in their frames, and
confident reads that fit the "ro" grammar become labels, with the detector's own crops; (b) train a
``PlateCRNN`` with 36 characters on synthetic Latin plates (``models.training.synth_latin``) mixed
with those real crops; (c) export ``models/plate_rec_latin.onnx`` and check onnxruntime against
PyTorch; (d) measure through the edge's own code: fresh synthetic plates, ``openalpr-br-crops`` and
the ``openalpr-endtoend-*`` scene sets (AGPL-3.0: evaluation only, never trained on) against the
default reader, and write ``models/plate_rec_latin.json``. The data sets are read from
``--data-dir`` (default ``$KAKOU_DATA_DIR``, else ``../shared/data``: see
``models.training.paths``).

    python -m models.training.train_latin            # the defaults made the committed model
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
from checkpoint.lab.crops import CropReader, build_crop_reader
from checkpoint.lab.evaluate import evaluate as evaluate_scenes
from checkpoint.onnx_models import bundled_model
from checkpoint.read import PlateReader, build_reader, rectify, to_plate_read
from checkpoint.recognise import DEFAULT_REC_MODEL, CtcRecogniser, PlateRecogniser
from models.training.paths import MODELS_DIR, data_root
from models.training.recogniser import PlateCRNN
from models.training.synth_latin import CHARACTERS, synth_batch_latin, synth_styled_latin
from models.training.synth_plates import CHARACTERS as CN_CHARACTERS
from models.training.synth_scenes import (DASHCAM_SET, HELD_OUT_VIDEOS, TRAIN_VIDEOS,
                                          dashcam_boxes)
from models.training.train_recogniser import (augment_real, check_export, export, load_real,
                                              render_synthetic, speed, train_steps)

# ``train_steps`` encodes targets by the CN character list, which opens with these 36 in this order
assert CN_CHARACTERS[:len(CHARACTERS)] == CHARACTERS

NUM_CLASSES = len(CHARACTERS) + 2   # blank + characters + the trailing space CtcRecogniser adds
SCENE_SETS = ("openalpr-endtoend-eu", "openalpr-endtoend-us", "openalpr-endtoend-br")


# ------------------------------------------------------------------------------- pseudo-labels

def pseudo_label(reader: PlateReader, crop_reader: CropReader, data_dir: Path,
                 videos: tuple[str, ...], min_confidence: float
                 ) -> tuple[list[np.ndarray], list[str], dict[str, int]]:
    """Real crops and texts from the dash-cam set in ``data_dir``: for each labelled plate,
    ``reader``'s most confident read in the frame whose box centre lies in the plate box, kept
    if it fits the "ro" grammar (the reader only returns reads that do) at ``min_confidence`` or
    more. The crop is the detector's rectified text box, as the pipeline frames it; the
    labelled box itself is added when ``crop_reader`` reads it alike (whole-plate framing)."""
    crops, texts = [], []
    stats = {"plates": 0, "labelled": 0, "box_crops": 0}
    for name, boxes in tqdm(dashcam_boxes(videos, data_dir).items(), desc="pseudo-label", unit="frame"):
        if not len(boxes):
            continue
        frame = cv2.imread(str(data_dir / name), cv2.IMREAD_COLOR)
        reads = reader.read(frame, "ro")
        for x, y, w, h in boxes.astype(int):
            x0, y0, x1, y1 = x, y, x + w, y + h
            stats["plates"] += 1
            inside = [r for r in reads if x0 <= r.centre[0] <= x1 and y0 <= r.centre[1] <= y1]
            best = max(inside, key=lambda r: r.confidence, default=None)
            if best is None or best.confidence < min_confidence:
                continue
            stats["labelled"] += 1
            crops.append(rectify(frame, best.corners))
            texts.append(best.text)
            whole = frame[y0:y1, x0:x1]
            again = crop_reader.read_crop(whole, "ro") if whole.size else None
            if again is not None and again.text == best.text:
                stats["box_crops"] += 1
                crops.append(whole)
                texts.append(best.text)
    return crops, texts, stats


# ------------------------------------------------------------------------------------ evaluate

def exact(recogniser: PlateRecogniser, crops: list[np.ndarray], texts: list[str],
          regions: list[str]) -> dict[str, float]:
    """Exact-plate accuracy through the edge's code (recognise, then ``to_plate_read`` with the
    crop's region), overall and per region."""
    corners = np.zeros((4, 2), np.float32)
    readings = recogniser.recognise(crops)
    right = [(p := to_plate_read(r, corners, g)) is not None and p.text == t
             for r, t, g in zip(readings, texts, regions)]
    out: dict[str, float] = {"images": len(texts), "exact": round(float(np.mean(right)), 4)}
    for g in sorted(set(regions)):
        out[f"exact_{g}"] = round(float(np.mean([ok for ok, r in zip(right, regions) if r == g])), 4)
    return out


def scene_figures(reader_cfg: ReaderConfig, data: Path, folders: tuple[str, ...]) -> dict[str, dict]:
    """Exact plate accuracy of a reader on the scene sets ``folders`` of ``data``, reads under
    the config's min_confidence dropped first, as ``checkpoint eval`` does."""
    reader = build_reader(reader_cfg)
    out = {}
    for name in folders:
        rep = evaluate_scenes(data / name, reader, min_confidence=reader_cfg.min_confidence)
        out[name] = {"images": rep.images, "plate_accuracy": rep.plate_accuracy,
                     "char_accuracy": rep.char_accuracy, "detection_recall": rep.detection_recall,
                     "false_plates_per_image": rep.false_plates_per_image,
                     "ms_per_image": rep.ms_per_image}
        print(name, reader_cfg.rec_models, out[name])
    return out


# ---------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="seed for torch, numpy and the renderer")
    p.add_argument("--synth-train", type=int, default=24000, help="synthetic crops to pre-render")
    p.add_argument("--steps", type=int, default=3500)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    p.add_argument("--real-fraction", type=float, default=0.25,
                   help="share of pseudo-labelled real crops in each batch")
    p.add_argument("--min-confidence", type=float, default=0.9,
                   help="PP-OCR confidence a pseudo-label needs")
    p.add_argument("--eval-synth", type=int, default=2000)
    p.add_argument("--eval-br-crops", type=int, default=500, help="first N openalpr-br-crops")
    p.add_argument("--no-scenes", dest="scenes", action="store_false",
                   help="skip the end-to-end scene sets (slow)")
    p.add_argument("--threads", type=int, default=1, help="torch threads and render workers")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder of the data sets (ro-dashcam-scenes, openalpr-*); "
                        "None: $KAKOU_DATA_DIR if set, else ../shared/data")
    p.add_argument("--out", type=Path, default=MODELS_DIR / "plate_rec_latin.onnx")
    args = p.parse_args(argv)
    data = data_root(args.data_dir)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()

    # PP-OCR alone: its text detector frames the pseudo-labelled crops, without the plate gate
    ppocr_cfg = ReaderConfig(threads=args.threads, detector="text")
    ppocr, ppocr_crops = build_reader(ppocr_cfg), build_crop_reader(ppocr_cfg)
    ro_dir = data / DASHCAM_SET
    real, real_texts, pseudo_stats = pseudo_label(ppocr, ppocr_crops, ro_dir, TRAIN_VIDEOS,
                                                  args.min_confidence)
    held, held_texts, held_stats = pseudo_label(ppocr, ppocr_crops, ro_dir, HELD_OUT_VIDEOS,
                                                args.min_confidence)
    print("pseudo-labels: train", pseudo_stats, "held out", held_stats)
    label_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    synth, synth_texts = render_synthetic(args.seed, args.synth_train, args.threads, make=synth_batch_latin)
    eval_rng = np.random.default_rng(args.seed + 10_000)
    eval_synth = [synth_styled_latin(eval_rng) for _ in range(args.eval_synth)]
    render_s = time.perf_counter() - t0

    model = PlateCRNN(NUM_CLASSES)
    n_params = sum(q.numel() for q in model.parameters())
    n_real = int(round(args.batch_size * args.real_fraction)) if real else 0

    def batch():
        idx = rng.integers(0, len(synth), args.batch_size - n_real)
        crops, texts = [synth[i] for i in idx], [synth_texts[i] for i in idx]
        for i in rng.integers(0, max(len(real), 1), n_real):
            crops.append(augment_real(rng, real[i]))
            texts.append(real_texts[i])
        return crops, texts

    train_s = train_steps(model, args.steps, args.lr, batch, "train")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(model, args.out, {"character": "\n".join(CHARACTERS)})
    diff = check_export(model, args.out, [c for c, _ in eval_synth[:16]] + held[:16])
    ppocr_rec = bundled_model(DEFAULT_REC_MODEL)
    latin, default_rec = (CtcRecogniser(model=m, threads=1, batch_size=8) for m in (args.out, ppocr_rec))

    synth_eval = exact(latin, [c for c, _ in eval_synth], [s.text for _, s in eval_synth],
                       [s.region for _, s in eval_synth])
    br, br_texts, _ = load_real(data / "openalpr-br-crops")
    br, br_texts = br[:args.eval_br_crops], br_texts[:args.eval_br_crops]
    br_eval = {name: {**exact(rec, br, br_texts, ["br"] * len(br)), **speed(path, br[:200])}
               for name, rec, path in (("latin", latin, args.out), ("ppocr", default_rec, ppocr_rec))}
    ro_eval = {name: exact(rec, held, held_texts, ["ro"] * len(held))
               for name, rec in (("latin", latin), ("ppocr", default_rec))}
    print("synthetic", synth_eval, "\nbr-crops", br_eval, "\nro held-out vs PP-OCR labels", ro_eval)

    scenes = {}
    if args.scenes:
        latin_cfg = ppocr_cfg.model_copy(update={"rec_models": {
            **ppocr_cfg.rec_models, **{r: args.out.resolve() for r in ("eu", "us", "br", "ro")}}})
        scenes = {"latin": scene_figures(latin_cfg, data, SCENE_SETS),
                  "default": scene_figures(ppocr_cfg, data, SCENE_SETS)}

    report = {
        "model": args.out.name,
        "architecture": "CRNN: 6 conv (3x3/BN/ReLU, 16-128 ch, height 48->1, width /4) + 3 dilated "
                        "1-D conv (128 ch) + 1x1; CTC; softmax in the exported graph",
        "parameters": n_params,
        "onnx_bytes": args.out.stat().st_size,
        "classes": NUM_CLASSES,
        "accuracy_synthetic": synth_eval,
        "accuracy_openalpr_br_crops": br_eval,
        "agreement_ro_held_out_with_ppocr_confident_reads": {**ro_eval, "pseudo_labels": held_stats},
        "scenes_exact_min_confidence": scenes,
        "pseudo_labels": pseudo_stats,
        "onnx_vs_torch_max_abs_diff": diff,
        **speed(args.out, [c for c, _ in eval_synth[:400]]),
        "training_seconds": {"pseudo_label": round(label_s, 1), "render": round(render_s, 1),
                             "train": round(train_s, 1)},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k not in ("out", "data_dir")},
        "seeds": {"torch": args.seed, "numpy": args.seed, "synthetic_train": [args.seed, "chunk"],
                  "synthetic_eval": args.seed + 10_000},
        "data": [
            {"name": "synthetic Latin plates (models/training/synth_latin.py)", "count": args.synth_train,
             "fonts": "DejaVu Sans / Serif / Mono (Bitstream Vera licence)"},
            {"name": "ro-dashcam-scenes (RobertLucian/license-plate-dataset)", "licence": "MIT",
             "train": f"videos {', '.join(TRAIN_VIDEOS)}: plates pseudo-labelled by PP-OCR",
             "held_out": f"videos {', '.join(HELD_OUT_VIDEOS)}"},
            {"name": "openalpr-* (AGPL-3.0)", "use": "evaluation only"},
        ],
        "machine": {"cpu_threads": args.threads, "torch": torch.__version__,
                    "python": platform.python_version()},
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("pseudo_labels", "accuracy_synthetic",
                                             "accuracy_openalpr_br_crops", "scenes_exact_min_confidence",
                                             "ms_per_crop_single", "training_seconds")}, indent=2))


if __name__ == "__main__":
    main()
