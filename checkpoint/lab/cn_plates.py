"""Chinese plates drawn as GA 36 lays them out, for the sample clip and the model trainers.

Every kind of plate a checkpoint meets: blue (small vehicles), yellow (large vehicles: one row in
front, two rows behind; learners, trailers), green new-energy (eight characters on a gradient
field; large ones yellow and green), white (police with a red 警, military with a red opening,
armed police with a red WJ) and black (Hong Kong and Macau, consulates, embassies with a red 使).
Sizes in millimetres follow the standard: 440 x 140 (480 x 140 new-energy, 440 x 220 two rows),
characters 45 x 90 with a dot after the issuing-authority letter. The lettering is a bold
condensed sans (several Debian fonts, stretched to each character's box as the plate font
fills it), embossed, in a framed field with rounded corners and rivets. Everything random comes
from the caller's ``numpy`` Generator, so a seed gives the same plates on every machine with
the same fonts.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import ascii_uppercase, digits

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from checkpoint.grammar import CN_MILITARY, cn_plate_type
from checkpoint.lab import fonts
from checkpoint.wire.plates import CN_PROVINCES

#: Letters a CN plate uses (never I or O).
CN_LETTERS = ascii_uppercase.replace("I", "").replace("O", "")
KINDS = ("blue", "yellow", "green", "green-yellow", "white", "black")
#: Fonts for letters and digits, and for Chinese characters (path, face index in a collection).
LATIN_FONTS: tuple[tuple[Path, int], ...] = (
    (fonts.ROBOTO_CONDENSED_BOLD, 0), (fonts.SANS_CONDENSED_BOLD, 0), (fonts.LIBERATION_SANS_BOLD, 0),
    (fonts.NOTO_CJK_BOLD, fonts.NOTO_CJK_SC))
CJK_FONTS: tuple[tuple[Path, int], ...] = ((fonts.NOTO_CJK_BOLD, fonts.NOTO_CJK_SC), (fonts.CJK, 0))

#: (field, ink) per kind, BGR; the red of 警, 使 and military and WJ openings is its own.
_FIELD = {"blue": (170, 62, 12), "yellow": (22, 190, 240), "white": (240, 240, 238),
          "black": (22, 22, 24), "green": (150, 225, 160), "green-yellow": (30, 200, 230)}
_INK = {"blue": (245, 245, 245), "yellow": (20, 20, 20), "white": (20, 20, 20),
        "black": (240, 240, 240), "green": (20, 20, 20), "green-yellow": (20, 20, 20)}
_RED = (30, 30, 200)


@dataclass(frozen=True)
class CnPlate:
    text: str       # normalised, e.g. "鲁A12345"
    kind: str       # one of KINDS: the field's colour
    rows: int = 1   # two for the rear plates of large vehicles and trailers


def _serial(rng: np.random.Generator, n: int, letters: int) -> str:
    """``n`` serial characters, at most ``letters`` of them letters, anywhere."""
    chars = [str(rng.choice(list(digits))) for _ in range(n)]
    for i in rng.choice(n, size=min(letters, n), replace=False):
        chars[int(i)] = str(rng.choice(list(CN_LETTERS)))
    return "".join(chars)


#: How often each kind of plate is drawn: a checkpoint sees mostly blue plates, but every
#: kind must be read, so rare kinds are drawn far more often than they pass.
TYPE_WEIGHTS: dict[str, float] = {
    "blue": 0.36, "yellow": 0.07, "yellow-2": 0.08, "green": 0.11, "green-yellow": 0.04,
    "police": 0.05, "learner": 0.03, "trailer": 0.04, "hk-macau": 0.04, "consulate": 0.03,
    "embassy": 0.03, "military": 0.04, "armed-police": 0.04, "temporary": 0.04,
}


def random_cn_plate(rng: np.random.Generator, provinces: str = CN_PROVINCES) -> CnPlate:
    """A plate of a random kind (``TYPE_WEIGHTS``), its province drawn evenly from
    ``provinces``: the grammar (``checkpoint.grammar``) accepts its text as it is."""
    names = list(TYPE_WEIGHTS)
    weights = np.array([TYPE_WEIGHTS[n] for n in names])
    name = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    province = str(rng.choice(list(provinces)))
    letter = str(rng.choice(list(CN_LETTERS)))
    letters = int(rng.choice([0, 0, 1, 1, 2]))
    ordinary = province + letter + _serial(rng, 5, letters)
    four = province + letter + _serial(rng, 4, min(letters, 1))
    plate = {
        "blue": lambda: CnPlate(ordinary, "blue"),
        "yellow": lambda: CnPlate(ordinary, "yellow"),
        "yellow-2": lambda: CnPlate(ordinary, "yellow", 2),
        "green": lambda: CnPlate(province + letter + str(rng.choice(["D", "F"]))
                                 + _serial(rng, 5, min(letters, 1)), "green"),
        "green-yellow": lambda: CnPlate(province + letter + _serial(rng, 5, 0)
                                        + str(rng.choice(["D", "F"])), "green-yellow"),
        "police": lambda: CnPlate(four + "警", "white"),
        "learner": lambda: CnPlate(four + "学", "yellow"),
        "trailer": lambda: CnPlate(four + "挂", "yellow", int(rng.choice([1, 2]))),
        "hk-macau": lambda: CnPlate("粤Z" + _serial(rng, 4, min(letters, 1))
                                    + str(rng.choice(["港", "澳"])), "black"),
        "consulate": lambda: CnPlate(four + "领", "black"),
        "embassy": lambda: CnPlate("使" + _serial(rng, 6, 0), "black"),
        "military": lambda: CnPlate(str(rng.choice(list(CN_MILITARY))) + letter
                                    + _serial(rng, 5, 0), "white"),
        "armed-police": lambda: CnPlate("WJ" + province + _serial(rng, 5, min(letters, 1)),
                                        "white"),
        "temporary": lambda: CnPlate(four + "临", str(rng.choice(["blue", "white"]))),
    }[name]()
    assert cn_plate_type(plate.text) is not None, plate
    return plate


def plate_for(text: str) -> CnPlate:
    """The plate a given text is printed on (its usual colour, one row)."""
    kind = {"new-energy": "green" if text[2:3] in ("D", "F") else "green-yellow",
            "police": "white", "military": "white", "armed-police": "white",
            "learner": "yellow", "trailer": "yellow", "hk-macau": "black", "consulate": "black",
            "embassy": "black"}.get(cn_plate_type(text) or "", "blue")
    return CnPlate(text, kind)


# ------------------------------------------------------------------------------- lettering

@lru_cache(maxsize=None)
def _font(path: Path, index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.require(path)), 160, index=index)


@lru_cache(maxsize=4096)
def glyph(char: str, font: tuple[Path, int], weight: int = 0) -> np.ndarray:
    """The character's ink as a float mask cropped to its ink, drawn ``weight`` px bolder (at
    the 160 px the fonts are drawn at)."""
    img = Image.new("L", (300, 300), 0)
    ImageDraw.Draw(img).text((40, 20), char, fill=255, font=_font(*font), stroke_width=weight,
                             stroke_fill=255)
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr)
    return arr[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255.0


@dataclass(frozen=True)
class _Slot:
    x: float   # left edge, mm
    y: float   # top edge, mm
    w: float   # width, mm
    h: float   # height, mm


def _layout(plate: CnPlate) -> tuple[float, float, list[_Slot], tuple[float, float] | None]:
    """Plate width and height (mm), each character's box, and the separator dot's centre."""
    n = len(plate.text)
    if plate.rows == 2:   # 440 x 220: province and letter above, the serial below
        top = [_Slot(110, 15, 80, 60), _Slot(250, 15, 80, 60)]
        bottom_n = n - 2
        cw, gap = 65.0, 15.0
        x0 = (440 - bottom_n * cw - (bottom_n - 1) * gap) / 2
        bottom = [_Slot(x0 + i * (cw + gap), 95, cw, 110) for i in range(bottom_n)]
        return 440.0, 220.0, top + bottom, (220.0, 45.0)
    if n == 8:             # new-energy and armed police: 480 x 140, eight narrower characters
        width, cw, gap, big = 480.0, 43.0, 9.0, 49.0
    else:
        width, cw, gap, big = 440.0, 45.0, 12.0, 34.0
    x, slots = 15.5, []
    for i in range(n):
        slots.append(_Slot(x, 25, cw, 90))
        x += cw + (big if i == 1 else gap)
    dot = (slots[1].x + cw + big / 2, 70.0) if plate.text[0] != "使" else None
    return width, 140.0, slots, dot


def _red(plate: CnPlate, i: int) -> bool:
    """Characters printed in red: 警, 使, a military plate's opening, an armed-police WJ."""
    char = plate.text[i]
    kind = cn_plate_type(plate.text)
    return char in "警使" or (kind in ("military", "armed-police") and i < 2)


def _field(rng: np.random.Generator, plate: CnPlate, h: int, w: int) -> np.ndarray:
    """The plate's background, BGR float: its colour, jittered; gradients for new-energy."""
    base = np.float32(_FIELD[plate.kind]) + rng.uniform(-14, 14, 3).astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    if plate.kind == "green":           # white-green gradient, greener downwards
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        light = np.float32([235, 248, 235]) + rng.uniform(-10, 5, 3).astype(np.float32)
        green = np.float32([90, 200, 95]) + rng.uniform(-25, 25, 3).astype(np.float32)
        img[:] = light * (1 - t) + green * t
    elif plate.kind == "green-yellow":  # a green band behind the province and letter
        img[:, : int(w * 0.27)] = np.float32([80, 190, 90]) + rng.uniform(-20, 20, 3)
    return np.clip(img, 0, 255)


def draw_cn_plate(rng: np.random.Generator, plate: CnPlate, px_per_mm: float = 0.5,
                  emboss: bool = True) -> np.ndarray:
    """The plate face, upright, ``px_per_mm`` pixels per millimetre (float BGR, 0-255)."""
    width_mm, height_mm, slots, dot = _layout(plate)
    s = px_per_mm
    h, w = int(round(height_mm * s)), int(round(width_mm * s))
    img = _field(rng, plate, h, w)
    ink_colour = np.float32(_INK[plate.kind])
    ink = np.zeros((h, w), np.float32)
    red = np.zeros((h, w), np.float32)
    latin = LATIN_FONTS[int(rng.integers(len(LATIN_FONTS)))]
    cjk = CJK_FONTS[int(rng.integers(len(CJK_FONTS)))]
    weight = int(rng.integers(0, 4))   # extra stroke width, px at the glyphs' 160 px size
    # frame: a line in the ink colour inset from the edge, following the rounded corners
    inset, radius = rng.uniform(2.0, 4.5) * s, max(2.0, 9 * s)
    _rounded_rect(ink, inset, inset, w - 1 - inset, h - 1 - inset, radius,
                  max(1, int(round(rng.uniform(1.0, 2.2) * s))), float(rng.uniform(0.6, 1.0)))
    for i, (char, slot) in enumerate(zip(plate.text, slots)):
        font = latin if char.isascii() else cjk
        mask = glyph(char, font, weight)
        gw, gh = slot.w * s, slot.h * s
        if not char.isascii():
            gw, gh = gw * rng.uniform(0.9, 1.0), gh * rng.uniform(0.88, 0.98)
        elif char == "1":  # the plate font's 1 is a narrow bar in the middle of its box
            gw *= 0.42
        gw, gh = max(2, int(round(gw))), max(2, int(round(gh)))
        drawn = cv2.resize(mask, (gw, gh), interpolation=cv2.INTER_AREA)
        x0 = int(round((slot.x + slot.w / 2) * s - gw / 2 + rng.uniform(-0.5, 0.5)))
        y0 = int(round((slot.y + slot.h / 2) * s - gh / 2 + rng.uniform(-0.5, 0.5)))
        x0, y0 = max(0, min(w - gw, x0)), max(0, min(h - gh, y0))
        target = red if _red(plate, i) else ink
        target[y0:y0 + gh, x0:x0 + gw] = np.maximum(target[y0:y0 + gh, x0:x0 + gw], drawn)
    if dot is not None:
        cv2.circle(ink, (int(dot[0] * s), int(dot[1] * s)), max(1, int(round(5 * s))), 1.0, -1)
    img = _apply(img, ink, ink_colour, emboss and rng.random() < 0.7, rng, s)
    img = _apply(img, red, np.float32(_RED), False, rng, s)
    _rivets(rng, img, slots, s, plate.rows)
    return _round_corners(img, radius)


def _apply(img: np.ndarray, mask: np.ndarray, colour: np.ndarray, emboss: bool,
           rng: np.random.Generator, s: float) -> np.ndarray:
    """Ink ``mask`` in ``colour`` over ``img``; embossed, the raised strokes cast a thin shadow
    below and to the right and catch light above."""
    if emboss and mask.any():
        shift = max(1, int(round(rng.uniform(0.8, 1.6) * s)))
        shadow = np.roll(np.roll(mask, shift, axis=0), shift, axis=1)
        light = np.roll(np.roll(mask, -shift, axis=0), -shift, axis=1)
        img = img * (1 - 0.35 * np.clip(shadow - mask, 0, 1)[..., None])
        img = img + 40 * np.clip(light - mask, 0, 1)[..., None]
    m = mask[..., None]
    return img * (1 - m) + colour * m


def _rounded_rect(canvas: np.ndarray, x0: float, y0: float, x1: float, y1: float, r: float,
                  thickness: int, value: float) -> None:
    x0, y0, x1, y1, r = (int(round(v)) for v in (x0, y0, x1, y1, r))
    for (ax, ay), (bx, by) in (((x0 + r, y0), (x1 - r, y0)), ((x0 + r, y1), (x1 - r, y1)),
                               ((x0, y0 + r), (x0, y1 - r)), ((x1, y0 + r), (x1, y1 - r))):
        cv2.line(canvas, (ax, ay), (bx, by), value, thickness)
    for (cx, cy), start in (((x0 + r, y0 + r), 180), ((x1 - r, y0 + r), 270),
                            ((x1 - r, y1 - r), 0), ((x0 + r, y1 - r), 90)):
        cv2.ellipse(canvas, (cx, cy), (r, r), 0, start, start + 90, value, thickness)


def _rivets(rng: np.random.Generator, img: np.ndarray, slots: list[_Slot], s: float,
            rows: int) -> None:
    """Two (or four) bolts near the top edge, in the gaps of the characters; some plates
    are mounted without."""
    if rng.random() < 0.25:
        return
    metal = tuple(float(v) for v in rng.uniform(110, 220, 3))
    radius = max(1, int(round(rng.uniform(3.5, 5.5) * s)))
    y = int(round((12 if rows == 1 else 8) * s))
    xs = [slots[2].x - 6, slots[min(5, len(slots) - 1)].x - 6] if rows == 1 else [60.0, 380.0]
    if rng.random() < 0.2:
        ys = [y, img.shape[0] - y]
    else:
        ys = [y]
    for x in xs:
        for yy in ys:
            cv2.circle(img, (int(round(x * s)), yy), radius, metal, -1)
            cv2.circle(img, (int(round(x * s)), yy), radius, tuple(v * 0.6 for v in metal), 1)


def _round_corners(img: np.ndarray, radius: float) -> np.ndarray:
    """The face's corners outside the rounded plate, filled with the mean edge colour (the
    paste into a scene or crop covers them with what lies behind, see ``corner_mask``)."""
    mask = corner_mask(img.shape[:2], radius)
    edge = img[0].mean(axis=0)
    return img * mask[..., None] + edge * (1 - mask[..., None])


def corner_mask(shape: tuple[int, int], radius: float) -> np.ndarray:
    """1 inside a plate of ``shape`` (h, w) with corners rounded by ``radius`` px, 0 outside."""
    h, w = shape
    r = int(round(radius))
    mask = np.ones((h, w), np.float32)
    if r < 1:
        return mask
    corner = np.zeros((r, r), np.float32)
    cv2.circle(corner, (r, r), r, 1.0, -1)
    mask[:r, :r] = corner
    mask[:r, w - r:] = corner[:, ::-1]
    mask[h - r:, :r] = corner[::-1]
    mask[h - r:, w - r:] = corner[::-1, ::-1]
    return mask
