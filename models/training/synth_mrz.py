"""Synthetic OCR-B text-line crops for the MRZ recogniser, framed as PP-OCR's text detector
frames a document photo's lines, with exact labels.

The text is a window of a random document's MRZ line (``checkpoint.lab.documents.make_mrz``,
so fields, fillers and check digits are as on documents) or a PRC resident ID number; it is
drawn in Debian's OCR-B (fonts-ocr-b) on a card's tinted, patterned field, framed as the text
detector frames a line (the box hugs the ink; the lines above and below show at its edges), then
seen as a camera sees it: slightly rotated, skewed and stretched, scaled down, blurred, lit
unevenly, JPEG-compressed. Every crop of one call holds the
same number of characters, so a batch needs little padding (the box reads each line unpadded).

    python -m models.training.synth_mrz OUT_DIR [--count 40] [--seed 0]   # PNG samples + grid.png
"""
from __future__ import annotations

import argparse
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from checkpoint.lab import fonts
from checkpoint.lab.documents import make_cn_id, make_mrz
from checkpoint.wire.edge import DocumentType
from models.training.synth_plates import jpeg, write_preview

#: The recogniser's characters (CTC classes 1..37; 0 is the blank, ``CtcRecogniser`` appends a
#: space class).
CHARACTERS: tuple[str, ...] = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<")
_SIZE = 40      # font size the lines are drawn at, px
_TODAY = date(2026, 12, 1)
_KINDS = (DocumentType.ICAO_TD1, DocumentType.ICAO_TD2, DocumentType.ICAO_TD3)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.require(fonts.OCR_B)), size)


def _source_line(rng: np.random.Generator) -> str:
    if rng.random() < 0.15:
        return make_cn_id(rng, _TODAY - timedelta(days=int(rng.integers(0, 3650))))
    lines = make_mrz(rng, _KINDS[int(rng.integers(0, 3))], _TODAY,
                     expired=bool(rng.random() < 0.2), forged=bool(rng.random() < 0.2))
    return lines[int(rng.integers(0, len(lines)))]


def _window(rng: np.random.Generator, chars: int) -> tuple[str, str, str]:
    """A window of ``chars`` characters of a line, and the lines drawn above and below it."""
    line = _source_line(rng)
    while len(line) < chars:
        line += _source_line(rng)
    start = int(rng.integers(0, len(line) - chars + 1))
    return line[start:start + chars], _source_line(rng), _source_line(rng)


def _field(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    tint = rng.integers(170, 250, 3).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    wave = np.sin(xx / rng.uniform(6, 20) + np.cos(yy / rng.uniform(6, 20)) * 3) \
        * rng.uniform(0, 12)
    return np.clip(tint + wave[..., None] + rng.normal(0, 4, (h, w, 1)), 0, 255)


def mrz_crop(rng: np.random.Generator, chars: int) -> tuple[np.ndarray, str]:
    """One line crop (BGR) holding ``chars`` characters, and its text."""
    text, above, below = _window(rng, chars)
    font = _font(_SIZE)
    advance = font.getlength(text)
    x0, y0, x1, y1 = font.getbbox(text)
    glyphs = y1 - y0
    # framed as the text detector frames a line: the glyphs fill 55-95 % of the crop's height
    # (its box hugs the ink), a little space left and right, the neighbouring lines' ink at
    # the top and bottom edges when the lines are set close
    H = int(glyphs / rng.uniform(0.55, 0.95))
    left = rng.uniform(0.0, 0.5) * advance / chars
    right = rng.uniform(0.0, 0.5) * advance / chars
    W = int(advance + left + right)
    top = (H - glyphs) / 2 + rng.uniform(-0.08, 0.08) * glyphs - y0
    pitch = glyphs * rng.uniform(1.25, 1.9)             # line spacing
    img = Image.fromarray(_field(rng, H, W).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    ink = tuple(int(v) for v in rng.integers(0, 70, 3))
    shift = rng.uniform(-2, 2) * advance / chars
    draw.text((left, top), text, font=font, fill=ink)
    draw.text((left + shift, top - pitch), above, font=font, fill=ink)
    draw.text((left - shift, top + pitch), below, font=font, fill=ink)
    # the rectified line is stretched or squeezed a little (the detector's box, perspective)
    if rng.random() < 0.5:
        img = img.resize((max(8, int(W * rng.uniform(0.85, 1.15))), H))
        W = img.size[0]
    out = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    # the detector's box around a slightly rotated or skewed line
    angle, skew = rng.uniform(-1.5, 1.5), rng.uniform(-0.08, 0.08)
    matrix = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)
    matrix[0, 1] += skew
    out = cv2.warpAffine(out, matrix, (W, H), borderMode=cv2.BORDER_REPLICATE)
    # light: a gradient or a hand's hard-edged shadow, and a glare
    xx = np.linspace(0, 1, W, dtype=np.float32)[None, :, None]
    kind = rng.random()
    light = rng.uniform(0.55, 1.0) + (1 - rng.uniform(0.55, 1.0)) * xx if kind < 0.4 else \
        np.where(xx < rng.uniform(0.1, 0.9), rng.uniform(0.5, 0.9), 1.0) if kind < 0.65 else \
        np.ones_like(xx)
    out = np.clip(out * light + rng.uniform(0, 60) * np.exp(-((xx - rng.uniform()) ** 2) / 0.02),
                  0, 255).astype(np.uint8)
    # the camera: the line is 12-40 px tall in the photo, blurred, compressed
    height = int(rng.integers(12, 41))
    small = cv2.resize(out, (max(8, int(W * height / H)), height), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.7:
        small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.3, 1.2))
    return jpeg(rng, small, 0.7, 45), text


def mrz_batch(rng: np.random.Generator, count: int, chars: int | None = None
              ) -> tuple[list[np.ndarray], list[str]]:
    """``count`` crops of one length (``chars``, else drawn from 6 to 22)."""
    n = int(rng.integers(6, 23)) if chars is None else chars
    pairs = [mrz_crop(rng, n) for _ in range(count)]
    return [c for c, _ in pairs], [t for _, t in pairs]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    crops, texts = mrz_batch(rng, args.count)
    write_preview(args.out, crops, texts, (480, 40), 1)


if __name__ == "__main__":
    main()
