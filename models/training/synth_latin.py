"""Deterministic synthetic Latin-script plates (EU, US, BR, RO) with exact labels.

Two uses: the Latin recogniser trains on crops framed like the pipeline's PP-OCR text detector
frames them (mostly the plate-number line with a small margin, sometimes the whole plate), and the
plate detector pastes whole plate faces (``render_flat_latin``) into scenes. Plates are drawn at
2 px/mm with their real sizes and the parts that make them look like plates and that a reader must
learn to ignore: the EU blue band with its country letters, US state names and slogans, the BR
Mercosur band and city lines. Fonts are Debian's DejaVu (fonts-dejavu-core / -extra). Everything
random comes from one ``numpy`` Generator, so a seed gives the same plates everywhere.

    python -m models.training.synth_latin OUT_DIR [--count 40] [--seed 0]   # PNG samples + grid.png
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import ascii_uppercase, digits
from typing import Callable, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from checkpoint.grammar import fit_plate
from checkpoint.lab import fonts
from models.training.synth_plates import (background, batch_of, jpeg, motion_kernel, resize_camera,
                                          write_preview)

#: The recogniser's characters (CTC classes 1..36; 0 is the blank, ``CtcRecogniser`` appends a space).
CHARACTERS: tuple[str, ...] = (*digits, *ascii_uppercase)

#: Plate-number fonts, condensed by a random factor when drawn (plate fonts are narrow).
PLATE_FONTS: tuple[Path, ...] = (fonts.SANS_CONDENSED_BOLD, fonts.SANS_BOLD, fonts.SANS_MONO_BOLD,
                                 fonts.SANS_CONDENSED)
#: Fonts for state names, slogans and city lines.
HEADER_FONTS: tuple[Path, ...] = (fonts.SERIF_BOLD, fonts.SERIF_CONDENSED_BOLD_ITALIC, fonts.SANS_BOLD,
                                  fonts.SANS_CONDENSED_OBLIQUE)
SCALE = 2.0  # px per mm on the flat plate

_NO_IOQ = ascii_uppercase.translate(str.maketrans("", "", "IOQ"))
_CONSONANTS = "BCDFGHJKLMNPRSTVWXYZ"   # Spanish series letters

#: EU country: (band letters, [(pattern, ...)]). In a pattern L is a letter, D a digit, and
#: separators are drawn as they are; one pattern is chosen per plate.
EU_COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "de": ("D", ("L LL DDDD", "LL L DDD", "LLL LL DD", "L L DDDD", "LL LL DDD", "LLL L DDDD")),
    "fr": ("F", ("LL-DDD-LL",)),
    "it": ("I", ("LL DDDLL", "LL DDD LL")),
    "uk": ("GB", ("RRDD RRR",)),
    "es": ("E", ("DDDD CCC",)),
    "pl": ("PL", ("LL DDDDD", "LLL DDLL", "LL DDDLL")),
    "cz": ("CZ", ("DLD DDDD",)),
    "nl": ("NL", ("DD-LLL-D", "LL-DDD-L", "D-LLL-DD", "LLL-DD-L")),
    "sk": ("SK", ("LL-DDDLL", "LL DDDLL")),
    "be": ("B", ("D-LLL-DDD",)),
    "pt": ("P", ("LL-DD-LL", "DD-LL-DD")),
    "hu": ("H", ("LLL-DDD", "LL LL-DDD")),
    "se": ("S", ("LLL DDD", "LLL DDL")),
    "at": ("A", ("L DDDDD L", "LL DDD LL")),
    "dk": ("DK", ("LL DD DDD",)),
    "lt": ("LT", ("LLL DDD",)),
}
RO_COUNTIES = ("AB", "AR", "AG", "BC", "BH", "BN", "BT", "BV", "BR", "BZ", "CS", "CL", "CJ", "CT",
               "CV", "DB", "DJ", "GL", "GR", "GJ", "HR", "HD", "IL", "IS", "IF", "MM", "MH", "MS",
               "NT", "OT", "PH", "SM", "SJ", "SB", "SV", "TR", "TM", "TL", "VS", "VL", "VN")
#: US designs: (state header, slogans, plate patterns, background BGR, text BGR, header BGR).
US_DESIGNS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple, tuple, tuple]] = {
    "us-california": ("California", ("DMV.CA.GOV", ""), ("DLLLDDD",),
                      (235, 235, 235), (90, 40, 20), (40, 40, 200)),
    "us-texas": ("TEXAS", ("THE LONE STAR STATE", ""), ("LLL-DDDD", "LL DDDDL"),
                 (225, 230, 230), (20, 20, 20), (20, 20, 20)),
    "us-newyork": ("NEW YORK", ("EXCELSIOR", "EMPIRE STATE"), ("LLL-DDDD",),
                   (70, 190, 240), (90, 40, 10), (90, 40, 10)),
    "us-florida": ("FLORIDA", ("Sunshine State", "MYFLORIDA.COM"), ("LLL LDD", "DLL LLL"),
                   (235, 240, 240), (40, 110, 30), (40, 110, 30)),
    "us-illinois": ("Illinois", ("Land of Lincoln", ""), ("LL DDDDD", "DDDDDDD"),
                    (240, 240, 240), (40, 30, 160), (90, 40, 10)),
    "us-pennsylvania": ("PENNSYLVANIA", ("visitPA.com", ""), ("LLL-DDDD",),
                        (240, 235, 235), (100, 45, 15), (100, 45, 15)),
    "us-newjersey": ("NEW JERSEY", ("Garden State", ""), ("LDD-LLL", "LLL-DDL"),
                     (130, 210, 235), (20, 20, 20), (20, 20, 20)),
    "us-ohio": ("OHIO", ("BIRTHPLACE OF AVIATION", ""), ("LLL DDDD",),
                (230, 235, 240), (40, 30, 120), (120, 60, 20)),
    "us-georgia": ("GEORGIA", ("Peach State", "In God We Trust"), ("LLL DDDD", "LLLDDDD"),
                   (235, 240, 245), (20, 20, 20), (60, 80, 200)),
    "us-washington": ("Washington", ("Evergreen State", ""), ("LLLDDDD", "DDD-LLL"),
                      (240, 238, 232), (110, 50, 20), (110, 50, 20)),
    "us-arizona": ("ARIZONA", ("GRAND CANYON STATE", ""), ("LLL DDDD", "LLLDDDD"),
                   (200, 225, 240), (80, 70, 40), (40, 90, 170)),
    "us-michigan": ("MICHIGAN", ("GREAT LAKES", "PURE MICHIGAN"), ("LLL DDDD", "DLLDDD"),
                    (240, 240, 240), (120, 50, 20), (120, 50, 20)),
    "us-generic": ("", ("", ""), ("DDD LLL", "LLL DDD", "DLLDDD", "LLDDDDD"),
                   (230, 230, 230), (30, 30, 30), (30, 30, 30)),
}
#: Old grey Brazilian plates: city line "SP-SAO PAULO" above the number.
BR_CITIES = ("SP-SAO PAULO", "RJ-RIO DE JANEIRO", "MG-BELO HORIZONTE", "PR-CURITIBA",
             "RS-PORTO ALEGRE", "SC-FLORIANOPOLIS", "BA-SALVADOR", "SP-CAMPINAS", "GO-GOIANIA",
             "PE-RECIFE", "SP-SANTOS", "DF-BRASILIA")


@dataclass(frozen=True)
class LatinStyle:
    region: str   # "eu" | "us" | "br" | "ro"
    text: str     # letters and digits only, as fit_plate(text, region) returns it unchanged
    kind: str     # design: "eu-white", "uk-yellow", "nl-yellow", "us-california", "br-grey", "br-mercosur", ...
    shown: str = ""   # the text as printed, with its spaces and hyphens (empty: ``text``)
    band: str = ""    # EU band country letters; empty where the plate has no band


def _fill(rng: np.random.Generator, pattern: str) -> str:
    """A pattern filled in: L letter, R letter but I/O/Q (RO series), C Spanish consonant,
    D digit; anything else kept."""
    pools = {"L": ascii_uppercase, "R": _NO_IOQ, "C": _CONSONANTS, "D": digits}
    return "".join(str(rng.choice(list(pools[c]))) if c in pools else c for c in pattern)


def _fits(text: str, region: str) -> bool:
    """Does the region's grammar take ``text`` exactly as it is (no correction, no band letter)?"""
    fit = fit_plate(text, region)
    return fit is not None and fit.text == text and not fit.corrections and not fit.start


def _eu(rng: np.random.Generator) -> LatinStyle:
    country = str(rng.choice(list(EU_COUNTRIES)))
    band, patterns = EU_COUNTRIES[country]
    shown = _fill(rng, str(rng.choice(list(patterns))))
    if country == "uk":
        kind = "uk-yellow" if rng.random() < 0.5 else "uk-white"
        band = str(rng.choice(["GB", "UK", ""]))
    elif country == "nl":
        kind = "nl-yellow"
    elif country == "be":
        kind = "be-red"
    else:
        kind = "eu-white"
    return LatinStyle("eu", "".join(c for c in shown if c.isalnum()), kind, shown, band)


def _us(rng: np.random.Generator) -> LatinStyle:
    kind = str(rng.choice(list(US_DESIGNS)))
    shown = _fill(rng, str(rng.choice(list(US_DESIGNS[kind][2]))))
    return LatinStyle("us", "".join(c for c in shown if c.isalnum()), kind, shown)


def _br(rng: np.random.Generator) -> LatinStyle:
    if rng.random() < 0.55:   # old plates: grey, or red (commercial) with light text
        shown = _fill(rng, "LLL" + str(rng.choice(["-", "·", " "])) + "DDDD")
        kind = "br-red" if rng.random() < 0.2 else "br-grey"
        return LatinStyle("br", "".join(c for c in shown if c.isalnum()), kind, shown)
    text = _fill(rng, "LLLDLDD")
    return LatinStyle("br", text, "br-mercosur", text)


def _ro(rng: np.random.Generator) -> LatinStyle:
    if rng.random() < 0.3:
        shown = "B " + _fill(rng, str(rng.choice(["DD RRR", "DDD RRR"])))
    else:
        shown = str(rng.choice(list(RO_COUNTIES))) + " " + _fill(rng, "DD RRR")
    return LatinStyle("ro", shown.replace(" ", ""), "ro-white", shown, "RO")


_MAKERS: dict[str, Callable[[np.random.Generator], LatinStyle]] = {"eu": _eu, "us": _us, "br": _br,
                                                                    "ro": _ro}
#: Region shares: EU and US have the most designs and formats to learn.
_REGION_P = {"eu": 0.35, "us": 0.3, "br": 0.15, "ro": 0.2}


def random_latin_plate(rng: np.random.Generator) -> LatinStyle:
    """A plate design and text that ``fit_plate(text, region)`` accepts unchanged (drawn again
    when a random text happens to be one letter/digit confusion away from a national format)."""
    region = str(rng.choice(list(_REGION_P), p=list(_REGION_P.values())))
    for _ in range(50):
        style = _MAKERS[region](rng)
        if _fits(style.text, region):
            return style
    raise AssertionError(f"no {region} plate fits its grammar")


# ------------------------------------------------------------------------------------- drawing

@lru_cache(maxsize=None)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.require(path)), size)


def _text_mask(text: str, font: Path, stroke: int = 0) -> np.ndarray:
    """``text``'s ink (float 0..1) in a tight box, drawn 100 px high for later resizing."""
    f = _font(font, 100)
    left, top, right, bottom = f.getbbox(text, stroke_width=stroke)
    img = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(img).text((4 - left, 4 - top), text, fill=255, font=f, stroke_width=stroke,
                             stroke_fill=255)
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr)
    if ys.size == 0:
        return np.zeros((1, 1), np.float32)
    return arr[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255.0


def _stamp(img: np.ndarray, mask: np.ndarray, box: tuple[float, float, float, float],
           colour: Sequence[float], squeeze: float = 1.0) -> tuple[int, int, int, int]:
    """Draw ``mask`` in ``colour`` centred in ``box`` (x0, y0, x1, y1 px): as high as the box,
    ``squeeze`` times its natural width, shrunk to fit the box's width; returns the inked box."""
    x0, y0, x1, y1 = box
    h = max(2, int(round(y1 - y0)))
    w = max(2, int(round(mask.shape[1] * h / mask.shape[0] * squeeze)))
    if w > x1 - x0:
        w = max(2, int(x1 - x0))
    m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)[..., None]
    left, top = int(round((x0 + x1 - w) / 2)), int(round(y0))
    H, W = img.shape[:2]
    a, b = max(0, left), min(W, left + w)
    c, d = max(0, top), min(H, top + h)
    if a >= b or c >= d:
        return left, top, left + w, top + h
    m = m[c - top:d - top, a - left:b - left]
    img[c:d, a:b] = img[c:d, a:b] * (1 - m) + np.float32(colour) * m
    return left, top, left + w, top + h


def _jitter(rng: np.random.Generator, colour: Sequence[float], amount: float = 18) -> np.ndarray:
    return np.clip(np.float32(colour) + rng.uniform(-amount, amount, 3), 0, 255)


def _plate(rng: np.random.Generator, w_mm: float, h_mm: float, bg: Sequence[float],
           border: Sequence[float] | None, radius_mm: float = 6) -> np.ndarray:
    """A blank plate face: background colour, slight vertical shading, optional border line."""
    h, w = int(h_mm * SCALE), int(w_mm * SCALE)
    shade = 1 + rng.uniform(-0.06, 0.06) * np.linspace(-1, 1, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(_jitter(rng, bg, 10), (h, w, 3)) * shade
    img = np.ascontiguousarray(img, dtype=np.float32)
    if border is not None:
        t = max(1, int(rng.uniform(1.0, 5.0) * SCALE))
        r = int(radius_mm * SCALE)
        cv2.rectangle(img, (t // 2 + r // 3, t // 2), (w - 1 - t // 2 - r // 3, h - 1 - t // 2),
                      tuple(float(v) for v in border), t, lineType=cv2.LINE_AA)
    return img


def _eu_band(rng: np.random.Generator, img: np.ndarray, letters: str) -> float:
    """The blue band at the left with a ring of yellow stars and the country letters; returns its
    right edge in px."""
    h = img.shape[0]
    bw = int(rng.uniform(38, 48) * SCALE)
    img[:, :bw] = _jitter(rng, (150, 60, 10), 15)
    cx, cy, r = bw / 2, h * 0.3, bw * 0.28
    for k in range(12):
        a = 2 * np.pi * k / 12
        cv2.circle(img, (int(cx + r * np.cos(a)), int(cy + r * np.sin(a))), max(1, int(1.6 * SCALE)),
                   (20, 200, 240), -1, lineType=cv2.LINE_AA)
    if letters:
        font = PLATE_FONTS[int(rng.choice(2))]
        _stamp(img, _text_mask(letters, font), (bw * 0.1, h * 0.58, bw * 0.9, h * 0.86), (245, 245, 245))
    return float(bw)


def _number(rng: np.random.Generator, img: np.ndarray, shown: str, box: tuple[float, float, float, float],
            colour: Sequence[float]) -> tuple[int, int, int, int]:
    """The plate number in a random plate font, condensed, bold or thin; returns its ink box."""
    font = PLATE_FONTS[int(rng.choice(len(PLATE_FONTS), p=[0.45, 0.2, 0.2, 0.15]))]
    mask = _text_mask(shown, font, stroke=int(rng.choice([0, 0, 2, 4])))
    return _stamp(img, mask, box, _jitter(rng, colour, 15), squeeze=float(rng.uniform(0.7, 1.0)))


def _header(rng: np.random.Generator, img: np.ndarray, text: str, box: tuple[float, float, float, float],
            colour: Sequence[float]) -> None:
    if text:
        _stamp(img, _text_mask(text, HEADER_FONTS[int(rng.choice(len(HEADER_FONTS)))]), box,
               _jitter(rng, colour, 15),
               squeeze=float(rng.uniform(0.8, 1.2)))


def _draw_eu(rng: np.random.Generator, style: LatinStyle) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    bg = {"uk-yellow": (20, 200, 250), "nl-yellow": (20, 190, 245)}.get(style.kind, (245, 245, 245))
    ink = (40, 30, 190) if style.kind == "be-red" else (20, 20, 20)
    w_mm = 520 if rng.random() < 0.85 else float(rng.uniform(440, 520))
    img = _plate(rng, w_mm, 110, bg, ink)
    left = _eu_band(rng, img, style.band) if style.band or style.kind != "uk-white" else 0.0
    if not left:
        left = 8 * SCALE
    h, w = img.shape[:2]
    y0 = h * rng.uniform(0.13, 0.2)
    box = _number(rng, img, style.shown, (left + 6 * SCALE, y0, w - 8 * SCALE, h - y0 * rng.uniform(0.8, 1.2)),
                  ink)
    return img, box


def _draw_ro(rng: np.random.Generator, style: LatinStyle) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    return _draw_eu(rng, style)


def _draw_us(rng: np.random.Generator, style: LatinStyle) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    header, slogans, _, bg, ink, head_ink = US_DESIGNS[style.kind]
    img = _plate(rng, 305, 152, bg, head_ink if rng.random() < 0.5 else None, radius_mm=10)
    h, w = img.shape[:2]
    if style.kind == "us-pennsylvania":   # blue top band, yellow bottom band
        img[: int(h * 0.14)] = _jitter(rng, (110, 50, 20), 10)
        img[int(h * 0.86):] = _jitter(rng, (40, 200, 240), 10)
    if rng.random() < 0.3:   # a picture or gradient behind the number on many state designs
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        img = img * (1 - 0.35 * t) + _jitter(rng, rng.uniform(60, 230, 3), 0) * 0.35 * t
    if rng.random() < 0.85:   # bolt holes
        for x in (0.3, 0.7):
            cv2.circle(img, (int(w * x), int(h * 0.1)), int(3 * SCALE), (60, 60, 60), -1)
    _header(rng, img, header, (w * 0.15, h * 0.06, w * 0.85, h * rng.uniform(0.2, 0.27)), head_ink)
    slogan = str(rng.choice(list(slogans)))
    _header(rng, img, slogan, (w * 0.2, h * 0.8, w * 0.8, h * 0.92), head_ink)
    if rng.random() < 0.5:   # registration stickers in the top corners
        x = int(w * rng.choice([0.05, 0.8]))
        cv2.rectangle(img, (x, int(h * 0.05)), (x + int(w * 0.15), int(h * 0.2)),
                      tuple(float(v) for v in rng.uniform(0, 255, 3)), -1)
    box = _number(rng, img, style.shown, (w * 0.06, h * rng.uniform(0.28, 0.33), w * 0.94,
                                           h * rng.uniform(0.72, 0.77)), ink)
    return img.astype(np.float32), box


def _draw_br(rng: np.random.Generator, style: LatinStyle) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    if style.kind in ("br-grey", "br-red"):
        bg, ink = ((180, 180, 180), (25, 25, 25)) if style.kind == "br-grey" else ((40, 40, 170), (235, 235, 235))
        img = _plate(rng, 400, 130, bg, ink, radius_mm=3)
        h, w = img.shape[:2]
        _header(rng, img, str(rng.choice(list(BR_CITIES))), (w * 0.15, h * 0.06, w * 0.85, h * 0.22), ink)
        return img, _number(rng, img, style.shown, (w * 0.04, h * 0.3, w * 0.96, h * 0.9), ink)
    img = _plate(rng, 400, 130, (245, 245, 245), (20, 20, 20), radius_mm=3)
    h, w = img.shape[:2]
    img[: int(h * 0.22)] = _jitter(rng, (150, 60, 10), 15)
    _header(rng, img, "BRASIL", (w * 0.35, h * 0.04, w * 0.65, h * 0.18), (245, 245, 245))
    cv2.rectangle(img, (int(w * 0.88), int(h * 0.05)), (int(w * 0.95), int(h * 0.17)), (60, 150, 30), -1)
    cv2.rectangle(img, (int(w * 0.03), int(h * 0.04)), (int(w * 0.1), int(h * 0.18)), (200, 160, 60), -1)
    return img, _number(rng, img, style.shown, (w * 0.05, h * 0.32, w * 0.95, h * 0.9), (20, 20, 20))


_DRAW: dict[str, Callable[[np.random.Generator, LatinStyle], tuple[np.ndarray, tuple[int, int, int, int]]]] = {
    "eu": _draw_eu, "us": _draw_us, "br": _draw_br, "ro": _draw_ro}


def _render(rng: np.random.Generator, style: LatinStyle) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The plate face and the ink box of its number (x0, y0, x1, y1 px)."""
    img, box = _DRAW[style.region](rng, style)
    if rng.random() < 0.4:   # dirt and wear: low-frequency darkening
        h, w = img.shape[:2]
        dirt = cv2.resize(rng.uniform(0.8, 1.0, (4, 8)).astype(np.float32), (w, h))[..., None]
        img = img * dirt
    return np.clip(img, 0, 255).astype(np.float32), box


def render_flat_latin(rng: np.random.Generator, style: LatinStyle) -> np.ndarray:
    """The whole plate face, unrotated, float32 BGR 0..255 at 2 px/mm, border and bands included."""
    return _render(rng, style)[0]


# -------------------------------------------------------------------------------------- camera

def _frame(rng: np.random.Generator, plate: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    """The quadrilateral (flat-plate px) that the crop shows: usually the number's ink box with a
    margin, as PP-OCR's DB detector boxes a text line; sometimes the whole plate; rotated and
    skewed a little."""
    pw, ph = plate
    x0, y0, x1, y1 = box
    th = y1 - y0
    r = rng.random()
    if r < 0.35:   # the whole plate (borders and frames must not read as I or 1)
        m = rng.uniform(-0.02, 0.08, 4) * [pw, ph, pw, ph]
        x0, y0, x1, y1 = -m[0], -m[1], pw + m[2], ph + m[3]
    else:
        mx = rng.uniform(0.02, 0.45, 2) * th
        my = rng.uniform(-0.04, 0.3, 2) * th
        if r < 0.45:   # the detector took the EU band or a side picture in too
            mx[0] += rng.uniform(0.05, 0.2) * pw
        x0, x1, y0, y1 = x0 - mx[0], x1 + mx[1], y0 - my[0], y1 + my[1]
    quad = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    c = quad.mean(axis=0)
    a = np.deg2rad(rng.uniform(-2, 2))
    rot = np.float32([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (quad - c) @ rot.T + c + rng.normal(0, 0.025 * th, (4, 2)).astype(np.float32)


def _light(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """Uneven light, a shadow edge or a glare spot, colour cast, contrast and gamma."""
    H, W = out.shape[:2]
    gx = np.linspace(-1, 1, W, dtype=np.float32)[None, :, None]
    gy = np.linspace(-1, 1, H, dtype=np.float32)[:, None, None]
    out = out * (1 + rng.uniform(-0.3, 0.3) * gx + rng.uniform(-0.2, 0.2) * gy)
    r = rng.random()
    if r < 0.15:   # shadow edge
        side = (gx * rng.uniform(-1, 1) + gy * rng.uniform(-1, 1)) > rng.uniform(-0.5, 0.5)
        out = out * np.where(side, rng.uniform(0.35, 0.7), 1.0).astype(np.float32)
    elif r < 0.3:   # glare: a bright blob
        cx, cy, s = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.2, 0.7)
        blob = np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * s * s))
        out = out + rng.uniform(80, 220) * blob
    out = out * rng.uniform(0.85, 1.15, 3).astype(np.float32)
    out = (out - 128) * rng.uniform(0.5, 1.3) + 128 + rng.uniform(-50, 35)
    out = np.clip(out, 0, 255)
    return 255 * (out / 255) ** rng.uniform(0.6, 1.6)


def degrade_latin(rng: np.random.Generator, flat: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A flat plate face → a camera crop of its number line (uint8 BGR): framing, perspective,
    light, blur, low resolution, noise, JPEG; sometimes grey (night IR dash-cams)."""
    if rng.random() < 0.5:   # a plate holder: a dark or chrome frame around the plate
        t = int(rng.uniform(2, 10) * SCALE)
        flat = cv2.copyMakeBorder(flat, t, t, t, t, cv2.BORDER_CONSTANT,
                                  value=tuple(float(v) for v in rng.uniform(0, 1) * rng.uniform(60, 220, 3)))
        box = (box[0] + t, box[1] + t, box[2] + t, box[3] + t)
    ph, pw = flat.shape[:2]
    quad = _frame(rng, (pw, ph), box)
    top, bottom = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])
    left, right = np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    aspect = float(np.clip((top + bottom) / max(left + right, 1e-6), 1.2, 12.0))
    H = 48
    W = max(16, int(round(H * aspect)))
    m = cv2.getPerspectiveTransform(quad, np.float32([[0, 0], [W, 0], [W, H], [0, H]]))
    out = background(rng, H, W)
    cv2.warpPerspective(flat, m, (W, H), dst=out, flags=cv2.INTER_AREA if rng.random() < 0.5 else cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    out = _light(rng, out)
    r = rng.random()
    if r < 0.35:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.3, 1.3)))
    elif r < 0.6:
        out = cv2.filter2D(out, -1, motion_kernel(rng))
    fh = int(np.clip(rng.normal(26, 9), 11, 60))   # the number line's height in the camera
    fw = max(8, int(round(fh * W / H)))
    out = resize_camera(rng, out, fw, fh, (6, 5))
    out = out + rng.normal(0, rng.uniform(0, 10), out.shape)
    crop = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.12:
        crop = cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return jpeg(rng, crop, 0.85, 25)


def synth_styled_latin(rng: np.random.Generator) -> tuple[np.ndarray, LatinStyle]:
    """One synthetic crop and its whole style (the region, for evaluating through the grammar)."""
    style = random_latin_plate(rng)
    flat, box = _render(rng, style)
    return degrade_latin(rng, flat, box), style


def synth_plate_latin(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One synthetic crop (uint8 BGR), framed as the pipeline's detector frames plates, and its text."""
    crop, style = synth_styled_latin(rng)
    return crop, style.text


def synth_batch_latin(seed: int | Sequence[int], count: int) -> tuple[list[np.ndarray], list[str]]:
    """``count`` Latin crops and texts from ``numpy.random.default_rng(seed)``."""
    return batch_of(synth_plate_latin, seed, count)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic Latin plate crops and faces as PNG files.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    write_preview(args.out, *synth_batch_latin(args.seed, args.count), tile=(192, 48), columns=4)
    rng = np.random.default_rng(args.seed)
    faces = [render_flat_latin(rng, random_latin_plate(rng)) for _ in range(12)]
    faces = [cv2.resize(f, (260, int(round(260 * f.shape[0] / f.shape[1])))) for f in faces]
    height = max(f.shape[0] for f in faces)
    faces = [cv2.copyMakeBorder(f, 0, height - f.shape[0] + 4, 0, 4, cv2.BORDER_CONSTANT, value=(90, 90, 90))
             for f in faces]
    cv2.imwrite(str(args.out / "faces.png"),
                np.vstack([np.hstack(faces[i:i + 3]) for i in range(0, 12, 3)]).astype(np.uint8))


if __name__ == "__main__":
    main()
