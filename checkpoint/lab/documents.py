"""Synthetic ID documents and their photos, for the tests and ``checkpoint eval-ids``.

Each document is made of random data with every check digit right (or, on request, expired or
forged: one digit of the number changed after its check digit was computed), drawn as a card
with an OCR-B machine-readable zone (ICAO TD1, TD2, TD3) or a PRC resident-card-like front with
its number field, then photographed: laid on a desk, seen in perspective, blurred, lit with a
glare and a partial shadow, JPEG-compressed. ``write_set`` writes a folder with a ``labels.csv``
of what each photo should read and verify as.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from checkpoint.cn_regions import ADDRESS_CODES
from checkpoint.lab.fonts import CJK, OCR_B, SANS_BOLD, require
from checkpoint.verify import CN_ID_WEIGHTS, cn_id_check_char, icao_check_digit
from checkpoint.wire.edge import DocumentType, Verdict

#: Issuing states drawn (ICAO codes; UTO is the specimen state of Doc 9303).
STATES = ("CHN", "UTO", "D<<", "FRA", "GBR", "JPN", "KOR", "RUS", "USA", "HKG")
#: County-level address codes (GB/T 2260) the PRC numbers are drawn with.
CN_COUNTIES = tuple(sorted(c for c in ADDRESS_CODES if not c.endswith("00")))
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = LETTERS + "0123456789"
KINDS = ("icao-td1", "icao-td2", "icao-td3", "cn-resident-id")


@dataclass(frozen=True)
class Document:
    """What a photo shows: the document's kind, its text (MRZ lines, or the PRC number) and what
    verifying it on ``check_date`` gives."""

    kind: DocumentType
    lines: tuple[str, ...]      # MRZ lines, or the one PRC number
    verdict: Verdict
    check_date: date


# ------------------------------------------------------------------------------------ data

def _name(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list(LETTERS), int(rng.integers(3, 9))))


def _yymmdd(d: date) -> str:
    return d.strftime("%y%m%d")


def _field(text: str, width: int) -> str:
    return text[:width].ljust(width, "<")


def _dates(rng: np.random.Generator, today: date, expired: bool) -> tuple[date, date]:
    birth = today - timedelta(days=int(rng.integers(18 * 365, 80 * 365)))
    expiry = today + timedelta(days=int(rng.integers(30, 9 * 365))) if not expired else \
        today - timedelta(days=int(rng.integers(1, 3 * 365)))
    return birth, expiry


def _forge(rng: np.random.Generator, line: str, start: int, end: int) -> str:
    """One digit of ``line[start:end]`` changed after the check digits were computed."""
    digits = [i for i in range(start, end) if line[i].isdigit()]
    i = int(rng.choice(digits))
    new = str((int(line[i]) + int(rng.integers(1, 10))) % 10)
    return line[:i] + new + line[i + 1:]


def make_mrz(rng: np.random.Generator, kind: DocumentType, today: date, *,
             expired: bool = False, forged: bool = False) -> tuple[str, ...]:
    """The MRZ lines of a random document of ``kind`` with every check digit right."""
    state = str(rng.choice(STATES))
    number = "".join(rng.choice(list(ALNUM), 2)) + "".join(rng.choice(list("0123456789"), 7))
    birth, expiry = _dates(rng, today, expired)
    b, e, sex = _yymmdd(birth), _yymmdd(expiry), str(rng.choice(["M", "F", "<"]))
    names = f"{_name(rng)}<<{_name(rng)}"
    nd = number + str(icao_check_digit(number))
    bd, ed = b + str(icao_check_digit(b)), e + str(icao_check_digit(e))
    if kind == DocumentType.ICAO_TD1:
        optional1, optional2 = _field("", 15), _field("", 11)
        top = "I<" + state + nd + optional1
        middle = bd + sex + ed + state + optional2
        composite = icao_check_digit(top[5:30] + middle[0:7] + middle[8:15] + middle[18:29])
        lines = (top, middle + str(composite), _field(names, 30))
        number_at = (0, 5, 14)
    else:
        width = 44 if kind == DocumentType.ICAO_TD3 else 36
        prefix = "P<" if kind == DocumentType.ICAO_TD3 else "I<"
        if kind == DocumentType.ICAO_TD3:
            personal = _field("", 14)
            body = nd + state + bd + sex + ed + personal + str(icao_check_digit(personal))
        else:
            body = nd + state + bd + sex + ed + _field("", 7)
        composite = icao_check_digit(body[0:10] + body[13:20] + body[21:])
        lines = (_field(prefix + state + names, width), body + str(composite))
        number_at = (1, 0, 9)
    if forged:
        row, start, end = number_at
        lines = tuple(_forge(rng, line, start, end) if i == row else line
                      for i, line in enumerate(lines))
    return lines


def make_cn_id(rng: np.random.Generator, today: date, *, forged: bool = False) -> str:
    """A random 18-character PRC resident ID number with its check character."""
    born = today - timedelta(days=int(rng.integers(18 * 365, 80 * 365)))
    first17 = (str(rng.choice(CN_COUNTIES)) + born.strftime("%Y%m%d")
               + "".join(rng.choice(list("0123456789"), 3)))
    assert len(first17) == len(CN_ID_WEIGHTS)
    number = first17 + cn_id_check_char(first17)
    return _forge(rng, number, 14, 17) if forged else number


def make_document(rng: np.random.Generator, kind: str, today: date) -> Document:
    """A random document: most valid, some expired, some forged (one digit altered)."""
    fate = rng.choice(["valid", "expired", "forged"], p=[0.7, 0.15, 0.15])
    doc_type = DocumentType(kind)
    if doc_type == DocumentType.CN_RESIDENT_ID:   # a card's expiry is not in its number
        fate = "forged" if fate == "forged" else "valid"
        lines: tuple[str, ...] = (make_cn_id(rng, today, forged=fate == "forged"),)
    else:
        lines = make_mrz(rng, doc_type, today, expired=fate == "expired", forged=fate == "forged")
    verdict = {"valid": Verdict.VALID, "expired": Verdict.EXPIRED, "forged": Verdict.INVALID}[fate]
    return Document(doc_type, lines, verdict, today)


# ---------------------------------------------------------------------------------- drawing

_CARD = {  # card size in px at the drawing scale (ID-1 85.6 x 54 mm, ID-2 105 x 74, ID-3 125 x 88)
    DocumentType.ICAO_TD1: (856, 540), DocumentType.ICAO_TD2: (1050, 740),
    DocumentType.ICAO_TD3: (1250, 880), DocumentType.CN_RESIDENT_ID: (856, 540)}


def _font(path: Path, size: int, index: int = 0) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(require(path)), size, index=index)


def _card(rng: np.random.Generator, kind: DocumentType) -> Image.Image:
    """A card's face: a pale tinted field with a guilloche-like pattern, a photo box and some
    printed fields (nonsense text: the tests need no name but the MRZ's)."""
    w, h = _CARD[kind]
    tint = rng.integers(200, 250, 3)
    yy, xx = np.mgrid[0:h, 0:w]
    wave = (np.sin(xx / rng.uniform(9, 20) + np.cos(yy / rng.uniform(9, 20)) * 3) * 8)
    field = np.clip(tint[None, None, :] + wave[..., None] + rng.normal(0, 3, (h, w, 1)), 0, 255)
    img = Image.fromarray(field.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    photo = (int(w * 0.05), int(h * 0.18), int(w * 0.3), int(h * 0.62))
    draw.rectangle(photo, fill=tuple(int(v) for v in rng.integers(90, 170, 3)))
    small = _font(SANS_BOLD, int(h * 0.035))
    for i in range(5):
        y = int(h * (0.18 + 0.085 * i))
        draw.text((int(w * 0.36), y), "".join(rng.choice(list(LETTERS + " "), 14)),
                  font=small, fill=(40, 40, 60))
    return img


def _mrz_zone(img: Image.Image, lines: tuple[str, ...]) -> None:
    """The MRZ lines in OCR-B along the card's bottom, as 9303 places them (pitch 2.54 mm)."""
    w, h = img.size
    size = 100
    size = int(size * w * 0.93 / _font(OCR_B, size).getlength(lines[0]))
    font = _font(OCR_B, size)
    draw = ImageDraw.Draw(img)
    top = h - int(size * 1.15 * len(lines)) - int(h * 0.04)
    for i, line in enumerate(lines):
        draw.text((int(w * 0.035), top + int(i * size * 1.15)), line, font=font, fill=(20, 20, 25))


def _cn_front(img: Image.Image, number: str) -> None:
    """A PRC card's number field: the label and the 18 characters, bottom right."""
    w, h = img.size
    draw = ImageDraw.Draw(img)
    draw.text((int(w * 0.05), int(h * 0.82)), "公民身份号码", font=_font(CJK, int(h * 0.045)),
              fill=(60, 60, 80))
    draw.text((int(w * 0.33), int(h * 0.8)), number, font=_font(OCR_B, int(h * 0.075)),
              fill=(20, 20, 25))


def draw_document(rng: np.random.Generator, doc: Document) -> np.ndarray:
    """The document's face, flat (BGR)."""
    img = _card(rng, doc.kind)
    if doc.kind == DocumentType.CN_RESIDENT_ID:
        _cn_front(img, doc.lines[0])
    else:
        _mrz_zone(img, doc.lines)
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


def photograph(rng: np.random.Generator, face: np.ndarray, size: tuple[int, int] = (1280, 960)
               ) -> np.ndarray:
    """The card as a terminal's camera sees it: on a desk, in perspective, blurred, with a glare
    and a partial shadow, JPEG-compressed."""
    W, H = size
    desk = np.clip(rng.integers(40, 160, 3)[None, None, :] + rng.normal(0, 6, (H, W, 3)),
                   0, 255).astype(np.uint8)
    h, w = face.shape[:2]
    scale = rng.uniform(0.7, 0.92) * min(W / w, H / h)
    cw, ch = w * scale, h * scale
    cx, cy = W / 2 + rng.uniform(-0.04, 0.04) * W, H / 2 + rng.uniform(-0.04, 0.04) * H
    square = np.array([[cx - cw / 2, cy - ch / 2], [cx + cw / 2, cy - ch / 2],
                       [cx + cw / 2, cy + ch / 2], [cx - cw / 2, cy + ch / 2]], np.float32)
    corners = square + rng.uniform(-0.05, 0.05, (4, 2)).astype(np.float32) * [cw, ch]
    angle = np.deg2rad(rng.uniform(-6, 6))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    corners = (corners - [cx, cy]) @ rot.T + [cx, cy]
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    card = cv2.warpPerspective(face, matrix, (W, H))
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (W, H))
    out = np.where(mask[..., None] > 0, card, desk).astype(np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    gx, gy, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(0.1, 0.3) * W
    out += rng.uniform(0, 90) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))[..., None]
    edge = rng.uniform(0.2, 0.8) * W
    out *= np.where(xx < edge, rng.uniform(0.55, 1.0), 1.0)[..., None]   # a hand's shadow
    out = cv2.GaussianBlur(np.clip(out, 0, 255).astype(np.uint8), (0, 0), rng.uniform(0.3, 1.4))
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 92))])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


# ------------------------------------------------------------------------------------- sets

LABEL_COLUMNS = ("image", "document_type", "text", "verdict", "check_date")


def write_set(out: Path, count: int, seed: int = 0, today: date = date(2026, 12, 1),
              kinds: tuple[str, ...] = KINDS) -> list[Document]:
    """``count`` document photos (kinds in turn) and their ``labels.csv`` (the MRZ lines joined
    by ``|``)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    docs = []
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(LABEL_COLUMNS)
        for i in range(count):
            doc = make_document(rng, kinds[i % len(kinds)], today)
            name = f"doc{i:04d}.jpg"
            cv2.imwrite(str(out / name), photograph(rng, draw_document(rng, doc)))
            writer.writerow([name, doc.kind.value, "|".join(doc.lines), doc.verdict.value,
                             today.isoformat()])
            docs.append(doc)
    return docs
