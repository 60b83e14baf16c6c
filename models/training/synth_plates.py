"""Deterministic synthetic Chinese plate crops with exact labels, for training the recogniser.

Plates are laid out as the real ones are (GA 36: 440x140 mm, seven 45x90 mm characters, a
separator dot after the issuing-authority letter; new-energy plates 480x140 mm with eight 43 mm
characters), drawn at 0.5 px/mm with Debian fonts (WenQuanYi Micro Hei for the Chinese characters,
DejaVu Sans Bold Condensed for letters and digits), then degraded into crops that look like the
real 94x24 px ones: loose or tight crop, small rotation and perspective, blur, low resolution,
light, noise and JPEG recompression. Everything random comes from one ``numpy`` Generator, so a
seed gives the same plates on every machine with the same fonts.

    python -m models.training.synth_plates OUT_DIR [--count 40] [--seed 0]   # PNG samples to look at
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence
from string import ascii_uppercase, digits

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from checkpoint.grammar import fit_plate
from checkpoint.lab import fonts
from checkpoint.wire.plates import CN_PROVINCES, CN_SPECIAL

#: The recogniser's characters (CTC classes 1..len; 0 is the blank, and a trailing space class is
#: appended by ``CtcRecogniser``).
CHARACTERS: tuple[str, ...] = (*digits, *ascii_uppercase, *CN_PROVINCES, *CN_SPECIAL)

CJK_FONT = fonts.CJK                    # Chinese characters
LATIN_FONT = fonts.SANS_CONDENSED_BOLD  # letters and digits

_LETTERS = ascii_uppercase.replace("I", "").replace("O", "")
_SCALE = 0.5  # px per mm on the flat plate


@dataclass(frozen=True)
class Style:
    kind: str           # blue, yellow, green, white, black
    text: str


def _serial(rng: np.random.Generator, n: int, p_letter: float, p_first: float = 0.0) -> str:
    """``n`` serial characters; the first is a letter with probability ``max(p_letter, p_first)``
    (real serials often open with a letter, e.g. 皖AJ596Y)."""
    chances = [max(p_letter, p_first)] + [p_letter] * (n - 1)
    return "".join(rng.choice(list(_LETTERS)) if rng.random() < p else rng.choice(list(digits))
                   for p in chances)


def random_plate(rng: np.random.Generator) -> Style:
    """A plate text and colour that ``fit_plate(text, "cn")`` accepts unchanged."""
    province = str(rng.choice(list(CN_PROVINCES)))
    letter = str(rng.choice(list(_LETTERS)))
    p_letter = float(rng.choice([0.0, 0.15, 0.3, 0.5]))
    r = rng.random()
    if r < 0.65:  # blue plates are most of the real crops
        kind, text = "blue", province + letter + _serial(rng, 5, p_letter, 0.5)
    elif r < 0.75:
        kind, text = "yellow", province + letter + _serial(rng, 5, p_letter, 0.5)
    elif r < 0.82:
        kind = "green"
        if rng.random() < 0.75:
            text = province + letter + str(rng.choice(["D", "F"])) + _serial(rng, 5, p_letter)
        else:
            text = province + letter + _serial(rng, 5, 0.0) + str(rng.choice(["D", "F"]))
    elif r < 0.88:
        kind, text = "white", province + letter + _serial(rng, 5, p_letter)
    elif r < 0.93:
        kind, text = "white", province + letter + _serial(rng, 4, p_letter) + "警"
    elif r < 0.97:
        kind, text = "yellow", province + letter + _serial(rng, 4, p_letter) + str(rng.choice(["学", "挂"]))
    else:
        kind, text = "black", province + letter + _serial(rng, 4, p_letter) + str(rng.choice(["港", "澳", "领"]))
    fit = fit_plate(text, "cn")
    assert fit is not None and fit.text == text and not fit.corrections, text
    return Style(kind, text)


@lru_cache(maxsize=None)
def _glyph(char: str) -> np.ndarray:
    """The character's ink as a float mask cropped to its bounding box."""
    path = LATIN_FONT if char.isascii() else CJK_FONT
    font = ImageFont.truetype(str(fonts.require(path)), 160)
    img = Image.new("L", (260, 260), 0)
    # plate characters are drawn bolder than the fonts' regular weight
    ImageDraw.Draw(img).text((20, 20), char, fill=255, font=font, stroke_width=3 if char.isascii() else 7,
                             stroke_fill=255)
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr)
    return arr[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255.0


def _layout(n: int) -> tuple[float, list[float], float, float]:
    """Plate width and the characters' left edges (mm), character width and the dot's centre."""
    if n == 7:
        width, cw, gap, big = 440.0, 45.0, 12.0, 34.0
    else:
        width, cw, gap, big = 480.0, 43.0, 9.0, 51.0
    x, lefts = 15.5, []
    for i in range(n):
        lefts.append(x)
        x += cw + (big if i == 1 else gap)
    return width, lefts, cw, lefts[1] + cw + big / 2


def _colours(rng: np.random.Generator, kind: str, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Background image (h, w, 3) and text colour, BGR float."""
    if kind == "blue":
        hsv = np.uint8([[[rng.uniform(100, 122), rng.uniform(140, 255), rng.uniform(110, 250)]]])
        bg = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
        fg = np.full(3, rng.uniform(200, 255), np.float32) + rng.uniform(-10, 10, 3)
    elif kind == "yellow":
        bg = np.float32([rng.uniform(0, 60), rng.uniform(160, 220), rng.uniform(200, 255)])
        fg = np.full(3, rng.uniform(0, 50), np.float32)
    elif kind == "white":
        bg = np.full(3, rng.uniform(200, 250), np.float32) + rng.uniform(-8, 8, 3)
        fg = np.full(3, rng.uniform(0, 50), np.float32)
    elif kind == "black":
        bg = np.full(3, rng.uniform(5, 50), np.float32)
        fg = np.full(3, rng.uniform(200, 255), np.float32)
    else:  # green new-energy: light at the top, green at the bottom
        top = np.float32([rng.uniform(210, 250), rng.uniform(235, 255), rng.uniform(210, 245)])
        bottom = np.float32([rng.uniform(60, 130), rng.uniform(180, 225), rng.uniform(60, 130)])
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        img = top * (1 - t) + bottom * t
        return np.broadcast_to(img, (h, w, 3)).copy(), np.full(3, rng.uniform(0, 40), np.float32)
    return np.broadcast_to(bg, (h, w, 3)).copy(), np.clip(fg, 0, 255)


def render_flat(rng: np.random.Generator, style: Style) -> np.ndarray:
    """The plate face, unrotated and full resolution (float BGR, 0.5 px/mm)."""
    width_mm, lefts, cw, dot_x = _layout(len(style.text))
    h, w = int(140 * _SCALE), int(width_mm * _SCALE)
    img, fg = _colours(rng, style.kind, h, w)
    ink = np.zeros((h, w), np.float32)
    red = np.zeros((h, w), np.float32)
    # frame: a thin line in the text colour inset from the edge
    inset = max(1, int(round(rng.uniform(2.5, 5.0) * _SCALE * 2)))
    cv2.rectangle(ink, (inset, inset), (w - 1 - inset, h - 1 - inset), float(rng.uniform(0.4, 1.0)), 1)
    top_mm = 25.0 + rng.uniform(-3, 3)
    for i, (char, left) in enumerate(zip(style.text, lefts)):
        g = _glyph(char)
        shrink = 1.0 if char.isascii() else rng.uniform(0.85, 1.0)  # CJK glyphs fill less
        gw = max(2, int(round(cw * _SCALE * (shrink if char.isascii() else rng.uniform(0.88, 1.0)))))
        gh = max(2, int(round(90 * _SCALE * shrink)))
        if char == "1":  # plate fonts draw 1 narrow and centred
            gw = max(2, int(round(gw * 0.45)))
        mask = cv2.resize(g, (gw, gh), interpolation=cv2.INTER_AREA)
        x0 = int(round((left + cw / 2) * _SCALE - gw / 2 + rng.uniform(-0.6, 0.6)))
        y0 = int(round(top_mm * _SCALE + (90 * _SCALE - gh) / 2 + rng.uniform(-0.6, 0.6)))
        x0, y0 = max(0, min(w - gw, x0)), max(0, min(h - gh, y0))
        target = red if (char == "警" and style.kind == "white") else ink
        target[y0:y0 + gh, x0:x0 + gw] = np.maximum(target[y0:y0 + gh, x0:x0 + gw], mask)
    cv2.circle(ink, (int(dot_x * _SCALE), int(70 * _SCALE)), max(1, int(5 * _SCALE)), 1.0, -1)
    if rng.random() < 0.6:  # rivets, between the 2nd/3rd and 5th/6th characters at the top
        for x in (lefts[2] - 6, lefts[5] - 6):
            cv2.circle(img, (int(x * _SCALE), int(12 * _SCALE)), 2,
                       tuple(float(v) for v in rng.uniform(120, 230, 3)), -1)
    if rng.random() < 0.3:  # stroke weight: bolder or thinner
        k = np.ones((2, 2), np.uint8)
        ink = cv2.dilate(ink, k) if rng.random() < 0.5 else cv2.erode(ink, k)
    ink = ink[..., None]
    img = img * (1 - ink) + fg * ink
    red = red[..., None]
    img = img * (1 - red) + np.float32([30, 30, 200]) * red
    return img.astype(np.float32)


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


def degrade(rng: np.random.Generator, flat: np.ndarray) -> np.ndarray:
    """A flat plate face → a low-resolution camera crop (uint8 BGR), like the real 94x24 ones."""
    ph, pw = flat.shape[:2]
    # work at twice the real crop size, then come down to the final size
    aspect = rng.uniform(3.3, 4.4) if rng.random() < 0.8 else rng.uniform(2.8, 3.3)
    H = 48
    W = int(round(H * aspect))
    # crop tightness, horizontal: real crops are mostly cut at or into the first and last
    # characters (the plate's own margin is 3.5 % of its width), a few are loose
    lo, hi = (-0.02, 0.07) if rng.random() < 0.2 else (-0.065, 0.02)
    mx = lambda: rng.uniform(lo, hi) * W  # noqa: E731
    my = lambda: rng.uniform(-0.14, 0.04) * H  # noqa: E731  vertical
    dst = np.float32([[mx(), my()], [W - mx(), my()], [W - mx(), H - my()], [mx(), H - my()]])
    angle = np.deg2rad(rng.uniform(-4, 4))
    c = dst.mean(axis=0)
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (dst - c) @ rot.T + c + rng.normal(0, 0.012 * H, (4, 2)).astype(np.float32)
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    out = background(rng, H, W)
    cv2.warpPerspective(flat, m, (W, H), dst=out, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    # uneven light across the plate
    gx = np.linspace(-1, 1, W, dtype=np.float32)[None, :, None]
    gy = np.linspace(-1, 1, H, dtype=np.float32)[:, None, None]
    out = out * (1 + rng.uniform(-0.25, 0.25) * gx + rng.uniform(-0.2, 0.2) * gy)
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
    # final size: about 94x24, sometimes smaller (down and back up) or larger
    fw = int(np.clip(rng.normal(94, 18), 56, 160))
    fh = max(12, int(round(fw / aspect)))
    out = resize_camera(rng, out, fw, fh, (8, 6))
    out = out + rng.normal(0, rng.uniform(0, 9), out.shape)
    crop = np.clip(out, 0, 255).astype(np.uint8)
    return jpeg(rng, crop, 0.85, 30)


def synth_plate(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One synthetic crop (uint8 BGR) and its exact text."""
    style = random_plate(rng)
    return degrade(rng, render_flat(rng, style)), style.text


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
