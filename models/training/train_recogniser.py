"""Train the CN plate recogniser, export it to ONNX, check the export, and measure it.

Steps: (a) pre-train on synthetic plates (``models.training.synth_plates``, fixed seed); (b)
fine-tune on every other crop (by file name: the 1st, 3rd, ...) of ``lprnet-cn-crops``
(Apache-2.0; ``--data``, else that folder of the data root: ``--data-dir``, see
``models.training.paths``), in batches mixed with synthetic plates so the other colours and
formats are not forgotten, and (``--pipeline-fraction``) with plates cut as the reader cuts
them, found by the plate detector and framed again by the corner refiner
(``models.training.pipeline_crops``: so the recogniser trains after both); (c) export
``models/plate_rec_cn.onnx`` with the character list in its metadata; (d) check onnxruntime
against PyTorch; (e) evaluate through the edge's own code (``CtcRecogniser`` +
``to_plate_read``) on the other 250 crops (never trained on; read once and in views) and on
fresh synthetic plates, and write ``models/plate_rec_cn.json``.

Why every other crop: the files are named in plate order (mostly 皖A, then by serial), so the
first and last halves differ (the last 250 serials open with J-Z letters, the first with A-H),
and the set's held-out half interleaves with this one. Alternate crops make a tuning half and an
unseen half that are drawn alike, as the held-out half is. ``--split halves`` is a harder
split (tune on the first 250, test on the last 250).

    python -m models.training.train_recogniser            # the defaults made the committed model
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import time
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from checkpoint.grammar import position_formats
from checkpoint.lab.cn_plates import CJK_FONTS, glyph
from checkpoint.lab.evaluate import EMPTY, OTHER, province_of, type_of
from checkpoint.read import to_plate_read
from checkpoint.recognise import (REC_HEIGHT, VIEWS, CtcRecogniser, as_line, is_two_rows,
                                  prepare_crop, reach, views_of)
from checkpoint.wire.plates import CN_PROVINCES
from models.training.onnx_export import export_onnx, max_abs_diff
from models.training.paths import MODELS_DIR, WORK_DIR, data_root
from models.training.pipeline_crops import (PipelineCutter, load_labelled_scenes,
                                            real_pipeline_crops, synthetic_pipeline_crops)
from models.training.recogniser import Exported, PlateCRNN
from models.training.synth_plates import (CHARACTERS, MIN_WIDTH_RATIO, TWO_ROWS_BELOW, jpeg,
                                          resize_camera, synth_batch)
from models.training.synth_scenes import CN_SCENE_SET

#: The real crops' folder name under the data root (the real scenes' is ``CN_SCENE_SET``).
CROP_SET = "lprnet-cn-crops"
NUM_CLASSES = len(CHARACTERS) + 2   # blank + characters + the trailing space CtcRecogniser adds
_INDEX = {c: i + 1 for i, c in enumerate(CHARACTERS)}


# ---------------------------------------------------------------------------------------- data

SPLITS: dict[str, Callable[[int], tuple[list[int], list[int]]]] = {
    "alternate": lambda n: (list(range(0, n, 2)), list(range(1, n, 2))),
    "halves": lambda n: (list(range(n // 2)), list(range(n // 2, n))),
}

SynthBatch = Callable[[list[int], int], tuple[list[np.ndarray], list[str]]]


def _render_chunk(job: tuple[SynthBatch, int, int, int]) -> tuple[list[np.ndarray], list[str]]:
    make, seed, chunk, count = job
    return make([seed, chunk], count)


def render_synthetic(seed: int, count: int, workers: int, chunk: int = 1000,
                     desc: str = "render", make: SynthBatch = synth_batch
                     ) -> tuple[list[np.ndarray], list[str]]:
    """``count`` synthetic crops from ``make`` (CN plates by default); chunk i uses the seed
    [seed, i], so the set does not depend on how many workers render it."""
    jobs = [(make, seed, i, min(chunk, count - i * chunk)) for i in range(math.ceil(count / chunk))]
    crops: list[np.ndarray] = []
    texts: list[str] = []
    with get_context("fork").Pool(workers) as pool:
        for c, t in tqdm(pool.imap(_render_chunk, jobs), total=len(jobs), desc=desc, unit="chunk"):
            crops += c
            texts += t
    return crops, texts


def load_real(data_dir: Path) -> tuple[list[np.ndarray], list[str], list[str]]:
    """All crops of the set sorted by file name: images, texts, file names."""
    with open(data_dir / "labels.csv", newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["image"])
    crops = [cv2.imread(str(data_dir / r["image"]), cv2.IMREAD_COLOR) for r in rows]
    return crops, [r["plate"] for r in rows], [r["image"] for r in rows]


def load_scene_plates(data_dir: Path) -> tuple[list[np.ndarray], list[str], list[str]]:
    """The labelled plates of a scene set, cut out at their boxes (the boxes are axis-aligned and
    loose: a plate's own tilt and some of its surroundings are in), sorted by image name."""
    with open(data_dir / "labels.csv", newline="", encoding="utf-8") as f:
        rows = sorted((r for r in csv.DictReader(f) if r["plate"] and r["w"]),
                      key=lambda r: r["image"])
    crops = []
    for r in rows:
        image = cv2.imread(str(data_dir / r["image"]), cv2.IMREAD_COLOR)
        x, y, w, h = (int(round(float(r[k]))) for k in ("x", "y", "w", "h"))
        crops.append(image[max(0, y):y + h, max(0, x):x + w])
    return crops, [r["plate"] for r in rows], [r["image"] for r in rows]


#: Character slots of a real crop as fractions of its width: province, letter, five serial
#: characters (pitch 11.9 px at 94 px). Measured from the mean column profile of the fine-tuning
#: crops; the crops are framed alike (each profile aligns with the mean within about 2 px).
SLOTS = ((0 / 94, 15 / 94), (15 / 94, 28 / 94),
         *(((30.5 + 11.9 * k) / 94, (42.4 + 11.9 * k) / 94) for k in range(5)))
#: Chance of replacing each slot when a crop is spliced.
SPLICE_P = (0.15, 0.3, 0.35, 0.35, 0.35, 0.35, 0.35)


def _profile(crop: np.ndarray) -> np.ndarray:
    """Normalised brightness per column over the middle rows (the text is light on blue)."""
    g = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    g = cv2.resize(g, (94, 24))[4:20]
    return ((g - g.mean()) / (g.std() + 1e-6)).mean(axis=0)


def crop_shifts(crops: list[np.ndarray]) -> list[int]:
    """Each crop's horizontal offset (px at width 94) against the mean column profile."""
    if not crops:
        return []
    profiles = [_profile(c) for c in crops]
    mean = np.mean(profiles, axis=0)[8:-8]
    return [max(range(-6, 7), key=lambda d: float(np.dot(np.roll(p, d)[8:-8], mean)))
            for p in profiles]


def _slot(crop: np.ndarray, slot: int, shift: int) -> tuple[int, int]:
    w = crop.shape[1]
    a, b = (int(round(f * w - shift * w / 94)) for f in SLOTS[slot])
    return max(0, a), min(w, b)


class Splicer:
    """New real-looking training plates from the fine-tuning crops: characters cut from their
    slots and pasted into another crop's slots, so 250 real crops teach more than 250 serials
    (a model tuned on the first 250 by name alone, whose serials open with A-H, learns where
    real plates have letters and misreads the J-Z-first serials of the last 250).
    Only 7-character plates (all of the real crops) are spliced."""

    def __init__(self, crops: list[np.ndarray], texts: list[str]) -> None:
        self.crops, self.texts, self.shifts = crops, texts, crop_shifts(crops)
        n = [j for j, t in enumerate(texts) if len(t) == len(SLOTS)]
        self.serial = [(j, s) for j in n for s in range(2, 7)]
        self.letters = [(j, s) for j in n for s in range(2, 7) if texts[j][s].isalpha()]

    def _donor(self, rng: np.random.Generator, base: int, slot: int) -> tuple[int, int] | None:
        if slot == 0:  # a province from a crop of another province
            other = [j for j, t in enumerate(self.texts)
                     if t[0] != self.texts[base][0] and len(t) == len(SLOTS)]
            return (int(rng.choice(other)), 0) if other else None
        pool = self.letters if slot == 1 or rng.random() < 0.5 else self.serial
        return pool[int(rng.integers(len(pool)))] if pool else None

    def __call__(self, rng: np.random.Generator, base: int) -> tuple[np.ndarray, str]:
        out = self.crops[base].astype(np.float32)
        text = list(self.texts[base])
        if len(text) != len(SLOTS):
            return self.crops[base], self.texts[base]
        for slot, p in enumerate(SPLICE_P):
            donor = self._donor(rng, base, slot) if rng.random() < p else None
            if donor is None:
                continue
            j, s = donor
            a, b = _slot(out, slot, self.shifts[base])
            c, d = _slot(self.crops[j], s, self.shifts[j])
            piece = cv2.resize(self.crops[j][:, c:d].astype(np.float32), (b - a, out.shape[0]))
            here = out[:, a:b]
            # match the pasted character's colours to the slot it replaces
            scale = np.clip(here.std((0, 1)) / (piece.std((0, 1)) + 1e-3), 0.5, 2.0)
            out[:, a:b] = (piece - piece.mean((0, 1))) * scale + here.mean((0, 1))
            text[slot] = self.texts[j][s]
        return np.clip(out, 0, 255).astype(np.uint8), "".join(text)


class ProvinceSwap:
    """Real crops with their province character redrawn as another province's, in the crop's
    own colours and blur: the real crops are almost all 皖, and a recogniser tuned on them as
    they are learns to read 皖 whatever the province."""

    def __init__(self, crops: list[np.ndarray]) -> None:
        self.shifts = crop_shifts(crops)

    def __call__(self, rng: np.random.Generator, crop: np.ndarray, text: str,
                 index: int) -> tuple[np.ndarray, str]:
        if len(text) != len(SLOTS) or text[0] not in CN_PROVINCES:
            return crop, text
        a, b = _slot(crop, 0, self.shifts[index])
        slot = crop[:, a:b]
        grey = cv2.cvtColor(slot, cv2.COLOR_BGR2GRAY)
        _, light = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        light = light > 0
        ink_mask = light if light.mean() < 0.5 else ~light       # the ink is the minority
        rows = np.flatnonzero(ink_mask.mean(axis=1) > 0.08)
        cols = np.flatnonzero(ink_mask.mean(axis=0) > 0.08)
        if len(rows) < 3 or len(cols) < 3 or ink_mask.all():
            return crop, text
        pixels = slot.astype(np.float32)
        field = np.median(pixels[~ink_mask], axis=0)
        ink = np.percentile(pixels[ink_mask], 80 if ink_mask is light else 20, axis=0)
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        province = str(rng.choice(list(CN_PROVINCES)))
        mask = glyph(province, CJK_FONTS[int(rng.integers(len(CJK_FONTS)))],
                     int(rng.integers(0, 3)))
        mask = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        mask = cv2.GaussianBlur(mask, (0, 0), float(rng.uniform(0.4, 0.9)))[..., None]
        out = crop.astype(np.float32)
        out[y0:y1, a + x0:a + x1] = field * (1 - mask) + ink * mask
        return np.clip(out, 0, 255).astype(np.uint8), province + text[1:]


def augment_real(rng: np.random.Generator, crop: np.ndarray, jitter: float = 0.05,
                 shift: float = 0.0) -> np.ndarray:
    """``reframe_jitter``, then ``photometric``: a real crop as a detector and a camera might
    have given it."""
    return photometric(rng, reframe_jitter(rng, crop, jitter, shift))


def reframe_jitter(rng: np.random.Generator, crop: np.ndarray, jitter: float,
                   shift: float) -> np.ndarray:
    """Each corner moved by up to ``jitter`` of the crop's size, half the time the whole plate
    sideways by up to ``shift`` of its width (a detector's box sits a little off the plate)."""
    h, w = crop.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + (rng.uniform(-jitter, jitter, (4, 2)) * [w, h]).astype(np.float32)
    if shift and rng.random() < 0.5:
        dst[:, 0] += float(rng.uniform(-shift, shift)) * w
    return cv2.warpPerspective(crop, cv2.getPerspectiveTransform(src, dst), (w, h),
                               borderMode=cv2.BORDER_REPLICATE)


def photometric(rng: np.random.Generator, crop: np.ndarray) -> np.ndarray:
    """Colour and light, blur, lower resolution, noise, JPEG: the framing left as it is."""
    h, w = crop.shape[:2]
    out = crop.astype(np.float32)
    out = (out - 128) * rng.uniform(0.7, 1.25) * rng.uniform(0.85, 1.15, 3) + 128 + rng.uniform(-30, 30)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.3, 0.9)))
    out = resize_camera(rng, out, w, h, chance=0.2, shrink=(0.6, 0.9))
    out = np.clip(out + rng.normal(0, rng.uniform(0, 6), out.shape), 0, 255).astype(np.uint8)
    return jpeg(rng, out, 0.3, 40, 95)


def pipeline_view(rng: np.random.Generator, crop: np.ndarray) -> np.ndarray:
    """A crop cut as the reader cuts it (``models.training.pipeline_crops``) as the model sees
    it: one of its views at random, then ``photometric`` (the detector gave the framing)."""
    view = VIEWS[int(rng.integers(len(VIEWS)))]
    return photometric(rng, views_of(crop, (view,), reach(VIEWS))[0])


def pad_batch(crops: list[np.ndarray]) -> torch.Tensor:
    """Crops as ``CtcRecogniser`` feeds them to any of the project's recognisers: height 48,
    padded to the widest crop."""
    ratio = max(c.shape[1] / max(c.shape[0], 1) for c in crops)
    width = int(np.ceil(REC_HEIGHT * max(ratio, 1.0)))
    return torch.from_numpy(np.stack([prepare_crop(c, width) for c in crops]))


def encode_targets(texts: list[str], index: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """CTC targets: every text's class indices (``index``) end to end, and each text's length."""
    return (torch.tensor([index[c] for t in texts for c in t], dtype=torch.long),
            torch.tensor([len(t) for t in texts], dtype=torch.long))


def to_batch(crops: list[np.ndarray]) -> torch.Tensor:
    """This recogniser's batch: two-row plates laid on one line, then ``pad_batch`` (the box
    pads to at least ``MIN_WIDTH_RATIO`` as well, which the widest crop of a batch mostly
    nears)."""
    return pad_batch([as_line(c, TWO_ROWS_BELOW) for c in crops])


def to_targets(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    return encode_targets(texts, _INDEX)


#: Variants (``pipeline_crops.scene_variant``) of each real tuning scene cut for pipeline crops.
SCENE_VARIANTS = 40


def pipeline_set(seed: int, count: int, scene_names: list[str], scenes_dir: Path
                 ) -> tuple[list[np.ndarray], list[str], int]:
    """``count`` crops cut as the reader cuts them from synthetic scenes (seed [seed, 2]), then
    those of ``SCENE_VARIANTS`` variants of each real scene named (seed [seed, 3]); and how
    many of them are real."""
    t = time.perf_counter()
    cutter = PipelineCutter()
    crops, texts = synthetic_pipeline_crops([seed, 2], count, cutter)
    scenes = load_labelled_scenes(scenes_dir, set(scene_names)) if scene_names else []
    real, real_texts = real_pipeline_crops([seed, 3], scenes, SCENE_VARIANTS, cutter)
    print(f"pipeline crops: {len(crops)} synthetic, {len(real)} real, "
          f"{time.perf_counter() - t:.0f} s")
    return crops + real, texts + real_texts, len(real)


# ------------------------------------------------------------------------------------ training

def train_steps(model: PlateCRNN, steps: int, lr: float, next_batch, desc: str, *,
                batch_fn: Callable[[list[np.ndarray]], torch.Tensor] = to_batch,
                targets_fn: Callable[[list[str]], tuple[torch.Tensor, torch.Tensor]] = to_targets
                ) -> float:
    """``steps`` AdamW steps with a one-cycle schedule, on the device the model is on; returns
    the seconds taken. ``batch_fn`` and ``targets_fn`` turn crops and texts into tensors
    (default: this recogniser's)."""
    device = next(model.parameters()).device
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    model.train()
    start = time.perf_counter()
    bar = tqdm(range(steps), desc=desc, unit="step")
    avg = None
    for _ in bar:
        crops, texts = next_batch()
        x = batch_fn(crops).to(device)
        targets, lengths = (t.to(device) for t in targets_fn(texts))
        logp = model(x).log_softmax(-1).permute(1, 0, 2)  # (T, N, C)
        inputs = torch.full((x.shape[0],), logp.shape[0], dtype=torch.long, device=device)
        loss = ctc(logp, targets, inputs, lengths)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
        bar.set_postfix(loss=f"{avg:.3f}")
    return time.perf_counter() - start


# -------------------------------------------------------------------------------------- export

def export(model: PlateCRNN, path: Path, metadata: dict[str, str]) -> None:
    """The recogniser as ``CtcRecogniser`` loads it: softmax probabilities, any batch and width."""
    export_onnx(Exported(model), (torch.zeros(1, 3, REC_HEIGHT, 188),), path,
                input_names=["x"], output_names=["probs"],
                dynamic_axes={"x": {0: "N", 3: "W"}, "probs": {0: "N", 1: "T"}},
                metadata=metadata, producer="kakou models/training/train_recogniser.py")


def check_export(model: PlateCRNN, path: Path, crops: list[np.ndarray]) -> float:
    """Max abs difference of onnxruntime and PyTorch probabilities; raises above 1e-4."""
    import onnxruntime as ort

    model.eval()
    x = to_batch(crops)
    with torch.no_grad():
        ref = Exported(model)(x).numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return max_abs_diff([ref], sess.run(None, {"x": x.numpy()}))


# ------------------------------------------------------------------------------------ evaluate

#: Crop heights (pixels) the card's figures are broken down by: where a band begins.
HEIGHT_BANDS = (0, 16, 20, 24, 32, 48)


def height_band(height: int) -> str:
    """The ``HEIGHT_BANDS`` band of a crop height, as "16-19" (the last as "48+")."""
    i = int(np.searchsorted(HEIGHT_BANDS, height, side="right")) - 1
    return f"{HEIGHT_BANDS[i]}+" if i == len(HEIGHT_BANDS) - 1 else \
        f"{HEIGHT_BANDS[i]}-{HEIGHT_BANDS[i + 1] - 1}"


def evaluate(path: Path, crops: list[np.ndarray], texts: list[str], views: int = 1,
             breakdown: bool = False) -> dict:
    """Exact-plate accuracy through the edge's code: CtcRecogniser (each crop read in ``views``
    framings), then to_plate_read; with ``breakdown``, per province character, plate type, rows
    (a crop read as a two-row plate or not) and crop height in pixels, and the province
    confusions (label → read, the read's first character)."""
    rec = CtcRecogniser(model=path, threads=1, batch_size=8, views=views,
                        formats=position_formats("cn"))
    corners = np.zeros((4, 2), np.float32)
    readings = rec.recognise(crops)
    plates = [to_plate_read(r, corners, "cn") for r in readings]
    right = [p is not None and p.text == t for p, t in zip(plates, texts)]
    raw = sum(r.text == t for r, t in zip(readings, texts))
    province = sum(bool(r.text) and r.text[0] == t[0] for r, t in zip(readings, texts))
    n = max(len(texts), 1)
    out: dict = {"images": len(texts), "exact": round(sum(right) / n, 4),
                 "exact_raw_read": round(raw / n, 4), "province_char": round(province / n, 4)}
    if breakdown:
        groups: dict[str, dict[str, list[bool]]] = {"by_province": {}, "by_type": {},
                                                    "by_rows": {}, "by_height": {}}
        confusions: dict[str, int] = {}
        for crop, text, ok, reading in zip(crops, texts, right, readings):
            first = province_of(text)
            groups["by_province"].setdefault(first, []).append(ok)
            groups["by_type"].setdefault(type_of(text), []).append(ok)
            two = is_two_rows(crop, rec.two_rows_below)
            groups["by_rows"].setdefault("two" if two else "one", []).append(ok)
            groups["by_height"].setdefault(height_band(crop.shape[0]), []).append(ok)
            read_first = reading.text[:1] or EMPTY
            if first != OTHER and read_first != text[0]:
                key = f"{text[0]}→{read_first}"
                confusions[key] = confusions.get(key, 0) + 1
        for name, group in groups.items():
            out[name] = {k: {"plates": len(v), "exact": round(sum(v) / len(v), 4)}
                         for k, v in sorted(group.items())}
        out["province_confusions"] = dict(sorted(confusions.items(), key=lambda kv: -kv[1]))
    return out


def speed(path: Path, crops: list[np.ndarray]) -> dict[str, float]:
    """Milliseconds per crop on one thread: one crop at a time, and in batches of 8."""
    rec = CtcRecogniser(model=path, threads=1, batch_size=8)
    rec.recognise(crops[:8])
    t = time.perf_counter()
    for c in crops:
        rec.recognise([c])
    single = (time.perf_counter() - t) / len(crops) * 1000
    t = time.perf_counter()
    rec.recognise(crops)
    batched = (time.perf_counter() - t) / len(crops) * 1000
    return {"ms_per_crop_single": round(single, 2), "ms_per_crop_batch8": round(batched, 2)}


@dataclass(frozen=True)
class HeldOut:
    """What the model is measured on, never trained on."""

    real: list[np.ndarray]
    real_texts: list[str]
    synth: list[np.ndarray]
    synth_texts: list[str]
    scenes: list[np.ndarray]
    scene_texts: list[str]


def measurements(path: Path, held: HeldOut) -> dict:
    """The model card's accuracy and speed figures for the exported model at ``path``."""
    views = len(VIEWS)
    return {
        "accuracy_unseen_real": evaluate(path, held.real, held.real_texts),
        "accuracy_unseen_real_read_in_views": {
            "views": views, **evaluate(path, held.real, held.real_texts, views=views)},
        "accuracy_synthetic_read_in_views": {
            "views": views, **evaluate(path, held.synth, held.synth_texts, views=views,
                                       breakdown=True)},
        "accuracy_unseen_scene_plates_read_in_views": evaluate(
            path, held.scenes, held.scene_texts, views=views) if held.scenes else None,
        **speed(path, held.real),
    }


def remeasure(path: Path, held: HeldOut) -> None:
    """Measure the exported model again (after a change in how the edge reads, or in its
    metadata) and rewrite those figures of its card; the training figures stay."""
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card.update(measurements(path, held))
    card["remeasured"] = "figures measured again with the model as committed " \
                         "(python -m models.training.train_recogniser --remeasure)"
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: card[k] for k in ("accuracy_unseen_real_read_in_views",
                                           "accuracy_unseen_scene_plates_read_in_views")}))


# ---------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="seed for torch, numpy and the renderer")
    p.add_argument("--synth-train", type=int, default=40000, help="synthetic crops to pre-render")
    p.add_argument("--pretrain-steps", type=int, default=7000)
    p.add_argument("--finetune-steps", type=int, default=6000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--width", type=float, default=1.0,
                   help="channel multiplier of every layer (models.training.recogniser.PlateCRNN)")
    p.add_argument("--device", default="cpu",
                   help="torch device to train on (e.g. cuda); export and measurement run on the CPU")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate, pre-training")
    p.add_argument("--finetune-lr", type=float, default=1.5e-3)
    p.add_argument("--real-fraction", type=float, default=0.5,
                   help="share of real crops in each fine-tuning batch")
    p.add_argument("--splice", type=float, default=0.7,
                   help="share of real fine-tuning crops with characters spliced in from others")
    p.add_argument("--province-swap", type=float, default=0.9,
                   help="share of real fine-tuning crops whose province character is redrawn as "
                        "another province's (the real crops are almost all 皖)")
    p.add_argument("--jitter", type=float, default=0.08,
                   help="real crops' corners move by up to this share of the crop's size")
    p.add_argument("--shift", type=float, default=0.05,
                   help="half the real crops move sideways by up to this share of their width")
    p.add_argument("--pipeline-crops", type=int, default=3000,
                   help="synthetic-scene plates to cut as the reader cuts them (plate detector, "
                        "corner refiner, context), with the real tuning scenes' (models.training.pipeline_crops)")
    p.add_argument("--pipeline-fraction", type=float, default=0.2,
                   help="share of those crops in each fine-tuning batch (0: none are cut)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder of the data sets; None: $KAKOU_DATA_DIR if set, else ../shared/data")
    p.add_argument("--data", type=Path, default=None,
                   help=f"{CROP_SET} folder; None: the one in the data sets folder")
    p.add_argument("--split", choices=SPLITS, default="alternate",
                   help="real crops to fine-tune on / test on: alternate = 1st, 3rd, ... by file "
                        "name / the others; halves = first 250 / last 250")
    p.add_argument("--pretrained", type=Path,
                   help="load the pre-trained weights from this file if it exists (skipping "
                        "pre-training), else save them there after pre-training (e.g. "
                        f"{WORK_DIR.name}/cn/pretrained.pt)")
    p.add_argument("--eval-synth", type=int, default=4000)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads and render workers")
    p.add_argument("--out", type=Path, default=MODELS_DIR / "plate_rec_cn.onnx")
    p.add_argument("--remeasure", action="store_true",
                   help="train nothing: measure the model at --out again on the same held-out "
                        "sets and rewrite its card's figures")
    args = p.parse_args(argv)
    data = args.data if args.data is not None else data_root(args.data_dir) / CROP_SET

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()

    synth, synth_texts = ([], []) if args.remeasure else \
        render_synthetic(args.seed, args.synth_train, args.threads)
    eval_synth, eval_synth_texts = render_synthetic(args.seed + 10_000, args.eval_synth, args.threads,
                                                    desc="render eval")
    real, real_texts, real_names = load_real(data)
    train_idx, test_idx = SPLITS[args.split](len(real))
    assert not set(train_idx) & set(test_idx), "training and test crops overlap"
    # the real scenes' plates, cut at their boxes: every other one by name tuned on, as the crops
    scenes_dir = data.parent / CN_SCENE_SET
    scene, scene_texts, scene_names = load_scene_plates(scenes_dir) if scenes_dir.is_dir() \
        else ([], [], [])
    scene_train, scene_test = SPLITS["alternate"](len(scene))
    render_s = time.perf_counter() - t0
    held_out = HeldOut([real[i] for i in test_idx], [real_texts[i] for i in test_idx],
                       eval_synth, eval_synth_texts,
                       [scene[i] for i in scene_test], [scene_texts[i] for i in scene_test])
    if args.remeasure:
        remeasure(args.out, held_out)
        return

    model = PlateCRNN(NUM_CLASSES, width=args.width).to(args.device)
    n_params = sum(p.numel() for p in model.parameters())

    def synth_batch_fn(n: int):
        idx = rng.integers(0, len(synth), n)
        return [synth[i] for i in idx], [synth_texts[i] for i in idx]

    if args.pretrained and args.pretrained.is_file():
        model.load_state_dict(torch.load(args.pretrained, map_location=args.device))
        pre_s = 0.0
    else:
        pre_s = train_steps(model, args.pretrain_steps, args.lr,
                            lambda: synth_batch_fn(args.batch_size), "pre-train")
        if args.pretrained:
            args.pretrained.parent.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), args.pretrained)

    metadata = {"character": "\n".join(CHARACTERS), "two_rows_below": str(TWO_ROWS_BELOW),
                "min_width_ratio": str(MIN_WIDTH_RATIO)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pre_path = args.out.with_suffix(".pretrained.onnx")
    export(model.cpu(), pre_path, metadata)
    pre_real = evaluate(pre_path, [real[i] for i in test_idx], [real_texts[i] for i in test_idx])
    pre_path.unlink()
    print("before fine-tuning, unseen real:", pre_real)

    # fine-tuning draws from its own stream: the same batches whether pre-training ran here or
    # its weights were loaded (--pretrained)
    rng = np.random.default_rng([args.seed, 1])
    n_pipe = int(round(args.batch_size * args.pipeline_fraction))
    n_real = int(round((args.batch_size - n_pipe) * args.real_fraction))
    pipe, pipe_texts, n_pipe_real = pipeline_set(
        args.seed, args.pipeline_crops, [scene_names[i] for i in scene_train], scenes_dir) \
        if n_pipe else ([], [], 0)

    splice = Splicer([real[i] for i in train_idx], [real_texts[i] for i in train_idx])
    swap = ProvinceSwap(splice.crops)
    tune_scenes = [(scene[i], scene_texts[i]) for i in scene_train]

    def real_sample(i: int) -> tuple[np.ndarray, str]:
        if i >= len(train_idx):   # a real scene's plate: few, so seen as often as a crop
            crop, text = tune_scenes[i - len(train_idx)]
            return augment_real(rng, crop, args.jitter, args.shift), text
        crop, text = splice(rng, i) if rng.random() < args.splice else (splice.crops[i], splice.texts[i])
        if rng.random() < args.province_swap:
            crop, text = swap(rng, crop, text, i)
        return augment_real(rng, crop, args.jitter, args.shift), text

    def mixed_batch():
        samples = [real_sample(int(i)) for i in rng.choice(len(train_idx) + len(tune_scenes), n_real)]
        crops, texts = [c for c, _ in samples], [t for _, t in samples]
        s_crops, s_texts = synth_batch_fn(args.batch_size - n_pipe - n_real)
        idx = rng.integers(0, len(pipe), n_pipe) if pipe else []
        p_crops = [pipeline_view(rng, pipe[i]) for i in idx]
        return crops + s_crops + p_crops, texts + s_texts + [pipe_texts[i] for i in idx]

    fine_s = train_steps(model.to(args.device), args.finetune_steps, args.finetune_lr, mixed_batch,
                         "fine-tune") if args.finetune_steps and train_idx else 0.0

    export(model.cpu(), args.out, metadata)
    diff = check_export(model, args.out, [real[i] for i in test_idx[:16]] + eval_synth[:16])
    report = {
        "model": args.out.name,
        "architecture": "CRNN: 6 conv (3x3/BN/ReLU, 16-128 ch, height 48->1, width /4) + 3 dilated "
                        "1-D conv (128 ch) + 1x1; CTC; softmax in the exported graph"
                        + (f"; every layer's channels x {args.width:g}" if args.width != 1 else ""),
        "parameters": n_params,
        "onnx_bytes": args.out.stat().st_size,
        "classes": NUM_CLASSES,
        **measurements(args.out, held_out),
        "accuracy_unseen_real_before_finetune": pre_real,
        "onnx_vs_torch_max_abs_diff": diff,
        "training_seconds": {"render": round(render_s, 1), "pretrain": round(pre_s, 1),
                             "finetune": round(fine_s, 1)},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k not in ("out", "data", "data_dir")},
        "seeds": {"torch": args.seed, "numpy": args.seed, "synthetic_train": [args.seed, "chunk"],
                  "synthetic_eval": [args.seed + 10_000, "chunk"]},
        "data": [
            {"name": "synthetic CN plates of every kind, provinces drawn evenly "
                     "(checkpoint/lab/cn_plates.py, models/training/synth_plates.py)",
             "count": args.synth_train,
             "fonts": "Noto Sans CJK Bold (SIL OFL 1.1), WenQuanYi Micro Hei (Apache-2.0 / GPL-3 "
                      "with font exception), Roboto Condensed Bold (Apache-2.0), DejaVu Sans "
                      "Condensed Bold (Bitstream Vera licence), Liberation Sans Bold (SIL OFL 1.1)"},
            {"name": "lprnet-cn-crops (sirius-ai/LPRNet_Pytorch data/test)", "licence": "Apache-2.0",
             "split": args.split,
             "train": [real_names[i] for i in train_idx],
             "test": [real_names[i] for i in test_idx]},
            {"name": "ccpd-cn-scenes plates, cut at their labelled boxes (CCPD)", "licence": "MIT",
             "train": [scene_names[i] for i in scene_train],
             "test": [scene_names[i] for i in scene_test]},
            *([{"name": "pipeline crops: plates found by models/plate_det.onnx, framed again by "
                        "models/plate_corners.onnx and cut with the reader's context "
                        "(models/training/pipeline_crops.py), in synthetic CN "
                        f"scenes and in {SCENE_VARIANTS} variants of each ccpd-cn-scenes "
                        "training scene above",
                "synthetic": len(pipe) - n_pipe_real, "real": n_pipe_real,
                "seeds": [[args.seed, 2], [args.seed, 3]]}] if pipe else []),
        ],
        "machine": {"cpu_threads": args.threads, "torch": torch.__version__,
                    "python": platform.python_version()},
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("accuracy_unseen_real",
                                             "accuracy_unseen_real_read_in_views",
                                             "accuracy_unseen_scene_plates_read_in_views",
                                             "ms_per_crop_single", "training_seconds")}, indent=2))


if __name__ == "__main__":
    main()
