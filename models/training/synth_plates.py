"""Deterministic synthetic Chinese plate crops with exact labels, for training the recogniser.

The plates are the lab's (``checkpoint.lab.cn_plates``: every kind and colour, one and two rows,
provinces drawn evenly), degraded into crops as a camera and a detector would give them:
framed tightly, as the real 94x24 px crops are (cut at or into the first and last characters),
or whole, as the plate detector's corners frame a plate (its border and rivets in); small
rotation and perspective, blur, low resolution, uneven light and glare, wear, noise and JPEG
recompression. Two-row plates come out as two-row crops: the recogniser reads them through
``checkpoint.recognise.one_row``, as a box does. Everything random comes from one ``numpy``
Generator, so a seed gives the same plates on every machine with the same fonts.

    python -m models.training.synth_plates OUT_DIR [--count 40] [--seed 0]   # PNG samples to look at
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from string import ascii_uppercase, digits

import cv2
import numpy as np

from checkpoint.lab.cn_plates import CnPlate, draw_cn_plate, random_cn_plate
from checkpoint.wire.plates import CN_PROVINCES, CN_SPECIAL

#: The recogniser's characters (CTC classes 1..len; 0 is the blank, and a trailing space class is
#: appended by ``CtcRecogniser``).
CHARACTERS: tuple[str, ...] = (*digits, *ascii_uppercase, *CN_PROVINCES, *CN_SPECIAL)
#: Crops narrower than this (width / height) are two-row plates, read through ``one_row``: a
#: one-row plate is 3.1 times as wide as tall (440 x 140 mm), a two-row one twice (440 x 220).
TWO_ROWS_BELOW = 2.5
#: The box pads every crop (right, mid-grey) to at least this width / height ratio, through the
#: model's metadata: training pads each batch to its widest crop (a synthetic plate on its line
#: is 2-4.5 wide), so the model learned that text ends before grey padding, and reads crops
#: framed so (measured: 3 points more synthetic plates read than unpadded).
MIN_WIDTH_RATIO = 5.0
_SCALE = 0.5  # px per mm on the flat plate

def background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """What lies around a plate in a crop: a random colour with low-frequency noise (float BGR)."""
    base = rng.uniform(0, 255, 3).astype(np.float32)
    noise = cv2.resize(rng.normal(0, 40, (max(2, h // 8), max(2, w // 8), 3)).astype(np.float32), (w, h))
    return np.clip(base + noise, 0, 255)


def motion_kernel(rng: np.random.Generator) -> np.ndarray:
    """A normalised 3-6 px line kernel at up to 30 degrees from horizontal (motion blur)."""
    n = int(rng.integers(3, 7))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(-30, 30)), 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    return k / max(k.sum(), 1e-6)


def resize_camera(rng: np.random.Generator, img: np.ndarray, w: int, h: int,
                  smallest: tuple[int, int] = (1, 1), chance: float = 0.3,
                  shrink: tuple[float, float] = (0.5, 0.85)) -> np.ndarray:
    """``img`` at ``w`` x ``h``; with probability ``chance`` via a resolution ``shrink`` times
    lower (a far or cheap camera), never below ``smallest`` (w, h)."""
    if rng.random() < chance:
        s = rng.uniform(*shrink)
        small = cv2.resize(img, (max(smallest[0], int(w * s)), max(smallest[1], int(h * s))),
                           interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def jpeg(rng: np.random.Generator, img: np.ndarray, chance: float, lowest: int,
         highest: int = 96) -> np.ndarray:
    """With probability ``chance``, ``img`` (uint8 BGR) recompressed as JPEG at a quality drawn
    from [lowest, highest): the artefacts of camera streams and stored evidence."""
    if rng.random() < chance:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(lowest, highest))])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return img


def _framing(rng: np.random.Generator, plate: CnPlate, W: int, H: int) -> np.ndarray:
    """Where the plate face's corners land in a W x H crop: tight (the real crops: cut at or
    into the first and last characters; the plate's own margin is 3.5 % of its width) or whole
    (the plate detector's corners, give or take a few per cent)."""
    if plate.rows == 1 and rng.random() < 0.5:
        lo, hi = (-0.02, 0.07) if rng.random() < 0.2 else (-0.065, 0.02)
        vlo, vhi = -0.14, 0.04
    else:
        lo, hi, vlo, vhi = -0.035, 0.06, -0.06, 0.08
    mx = lambda: rng.uniform(lo, hi) * W  # noqa: E731  horizontal, positive inward
    my = lambda: rng.uniform(vlo, vhi) * H  # noqa: E731  vertical
    dst = np.float32([[mx(), my()], [W - mx(), my()], [W - mx(), H - my()], [mx(), H - my()]])
    angle = np.deg2rad(rng.uniform(-4, 4))
    c = dst.mean(axis=0)
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return ((dst - c) @ rot.T + c + rng.normal(0, 0.012 * H, (4, 2))).astype(np.float32)


def _glare(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """A soft bright patch: sun or headlights on the plate's film."""
    h, w = out.shape[:2]
    spot = np.zeros((h, w), np.float32)
    cv2.ellipse(spot, (int(rng.uniform(0, w)), int(rng.uniform(0, h))),
                (int(rng.uniform(0.1, 0.5) * w), int(rng.uniform(0.2, 0.8) * h)),
                float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    spot = cv2.GaussianBlur(spot, (0, 0), max(1.0, 0.1 * w))
    return out + spot[..., None] * rng.uniform(40, 140)


def _wear(rng: np.random.Generator, flat: np.ndarray) -> np.ndarray:
    """Dirt blotches and faded paint on the face, before the camera sees it."""
    h, w = flat.shape[:2]
    blot = cv2.resize(rng.normal(0, 1, (max(2, h // 10), max(2, w // 10))).astype(np.float32),
                      (w, h))
    dirt = np.clip(blot - rng.uniform(0.4, 1.4), 0, 1)[..., None] * rng.uniform(0.3, 0.8)
    return flat * (1 - dirt) + rng.uniform(40, 120) * dirt


def degrade(rng: np.random.Generator, flat: np.ndarray, plate: CnPlate) -> np.ndarray:
    """A flat plate face → a low-resolution camera crop (uint8 BGR), like the real ones."""
    ph, pw = flat.shape[:2]
    if rng.random() < 0.3:
        flat = _wear(rng, flat)
    # work at twice the real crop size, then come down to the final size
    if plate.rows == 2:
        aspect = pw / ph * rng.uniform(0.9, 1.15)
    else:
        aspect = rng.uniform(3.3, 4.4) if rng.random() < 0.8 else rng.uniform(2.8, 3.3)
    H = 48 if plate.rows == 1 else 72
    W = int(round(H * aspect))
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    m = cv2.getPerspectiveTransform(src, _framing(rng, plate, W, H))
    out = background(rng, H, W)
    cv2.warpPerspective(flat, m, (W, H), dst=out, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    # uneven light across the plate, sometimes a glare spot
    gx = np.linspace(-1, 1, W, dtype=np.float32)[None, :, None]
    gy = np.linspace(-1, 1, H, dtype=np.float32)[:, None, None]
    out = out * (1 + rng.uniform(-0.25, 0.25) * gx + rng.uniform(-0.2, 0.2) * gy)
    if rng.random() < 0.15:
        out = _glare(rng, out)
    # blur
    r = rng.random()
    if r < 0.4:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.3, 1.1)))
    elif r < 0.65:
        out = cv2.filter2D(out, -1, motion_kernel(rng))
    # brightness, contrast, gamma
    out = (out - 128) * rng.uniform(0.55, 1.3) + 128 + rng.uniform(-45, 35)
    out = np.clip(out, 0, 255)
    out = 255 * (out / 255) ** rng.uniform(0.7, 1.5)
    # final size: about 94 px wide, sometimes smaller (down and back up) or larger
    fw = int(np.clip(rng.normal(94, 18), 56, 160))
    fh = max(12, int(round(fw / aspect)))
    out = resize_camera(rng, out, fw, fh, (8, 6))
    out = out + rng.normal(0, rng.uniform(0, 9), out.shape)
    crop = np.clip(out, 0, 255).astype(np.uint8)
    return jpeg(rng, crop, 0.85, 30)


def synth_styled(rng: np.random.Generator, provinces: str = CN_PROVINCES
                 ) -> tuple[np.ndarray, CnPlate]:
    """One synthetic crop (uint8 BGR) and the plate it shows."""
    plate = random_cn_plate(rng, provinces)
    return degrade(rng, draw_cn_plate(rng, plate, _SCALE), plate), plate


def synth_plate(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One synthetic crop (uint8 BGR) and its exact text."""
    crop, plate = synth_styled(rng)
    return crop, plate.text


def batch_of(make: Callable[[np.random.Generator], tuple[np.ndarray, str]],
             seed: int | Sequence[int], count: int) -> tuple[list[np.ndarray], list[str]]:
    """``count`` crops and texts from ``make`` drawing on ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    pairs = [make(rng) for _ in range(count)]
    return [c for c, _ in pairs], [t for _, t in pairs]


def synth_batch(seed: int | Sequence[int], count: int) -> tuple[list[np.ndarray], list[str]]:
    """``count`` CN crops and texts from ``numpy.random.default_rng(seed)``."""
    return batch_of(synth_plate, seed, count)


def write_preview(out: Path, crops: list[np.ndarray], texts: list[str], tile: tuple[int, int],
                  columns: int) -> None:
    """Each crop as ``NNNN_TEXT.png`` in ``out`` (encoded first: OpenCV cannot open a path with
    Chinese characters everywhere) and the first whole rows as ``grid.png``, tiles of ``tile``
    (w, h)."""
    out.mkdir(parents=True, exist_ok=True)
    for i, (crop, text) in enumerate(zip(crops, texts)):
        cv2.imencode(".png", crop)[1].tofile(str(out / f"{i:04d}_{text}.png"))
    tiles = [cv2.resize(c, tile) for c in crops[: len(crops) // columns * columns]]
    if tiles:
        grid = np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])
        cv2.imwrite(str(out / "grid.png"), grid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic CN plate crops as PNG files.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    write_preview(args.out, *synth_batch(args.seed, args.count), tile=(188, 48), columns=5)


if __name__ == "__main__":
    main()
