"""Deterministic synthetic scenes with exact plate labels, for training the plate detector.

A scene is a background (a frame of the MIT-licensed ``ro-dashcam-scenes`` training videos with its
real plates kept as labels, or a procedural one: gradients, noise, shapes, road-like scenes),
unlabelled hard negatives (text on signs, shop fronts, house numbers and stickers, plate-like
alphanumerics on non-plate backgrounds, windows, grilles), and plate faces (Chinese from
``models.training.synth_plates``, Latin from ``models.training.synth_latin``) pasted in perspective
at 25-300 px wide, then degraded as a camera would (blur, motion blur, night and glare, noise, low
resolution, JPEG). The pipeline's false plates are mostly text on signs and buildings, hence the
negatives. Everything random comes from one ``numpy`` Generator. The preview reads the dash-cam
frames from its data root (``--data-dir``: see ``models.training.paths``) when it has them.

    python -m models.training.synth_scenes OUT_DIR [--count 12] [--seed 0] [--data-dir DIR]   # JPEG samples
"""
from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import ascii_uppercase, digits

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from checkpoint.detect import order_corners
from checkpoint.lab import fonts
from checkpoint.wire.plates import CN_PROVINCES
from models.training.paths import data_root
from checkpoint.lab.cn_plates import draw_cn_plate, random_cn_plate
from models.training.synth_plates import jpeg, resize_camera

#: The dash-cam set's folder name under the data root.
DASHCAM_SET = "ro-dashcam-scenes"
#: ro-dashcam videos used for training; dayride_type1_002 and _003 are held out for evaluation.
TRAIN_VIDEOS = ("dayride_type1_001", "nightride_type3_001")
HELD_OUT_VIDEOS = ("dayride_type1_002", "dayride_type1_003")

WORDS = ("BLDG", "EST", "OPEN", "EXIT", "PARKING", "HOTEL", "CAFE", "BAR", "TAXI", "BUS", "STOP",
         "SALE", "MAX", "URTHO", "PHARMACY", "BANK", "ATM", "NO", "ENTRY", "ONE WAY", "POLICE",
         "GARAGE", "SHOP", "MARKET", "AUTO", "SERVICE", "TEL", "KM", "ZONE", "CITY", "PIZZA")
CJK_WORDS = ("停车场", "出口", "银行", "超市", "饭店", "药店", "宾馆", "入口", "限速", "公交", "加油站")


@dataclass(frozen=True)
class PlateLabel:
    corners: np.ndarray  # (4, 2) float32, clockwise from the plate's top-left, scene pixels
    region: str          # cn, eu, us, br, ro; "real" for the dash-cam frames' own plates
    text: str            # "" where unknown (the real dash-cam plates)


@dataclass(frozen=True)
class Scene:
    image: np.ndarray            # uint8 BGR
    plates: list[PlateLabel]


@dataclass(frozen=True)
class Frame:
    """A labelled real frame: its pixels and its plates' corners."""
    image: np.ndarray
    quads: np.ndarray  # (n, 4, 2) float32, clockwise from each plate's top-left


def box_corners(box: np.ndarray) -> np.ndarray:
    x, y, w, h = (float(v) for v in box)
    return np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def dashcam_boxes(videos: tuple[str, ...], data_dir: Path) -> dict[str, np.ndarray]:
    """Labelled plate boxes (n, 4) as x, y, w, h per frame of ``videos`` (file-name prefixes) of
    the dash-cam set in ``data_dir``, by frame name; a frame without plates has none."""
    boxes: dict[str, list[list[float]]] = {}
    with open(data_dir / "labels.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["image"].startswith(videos):
                entry = boxes.setdefault(row["image"], [])
                if row["w"]:
                    entry.append([float(row[k]) for k in ("x", "y", "w", "h")])
    return {name: np.float32(boxes[name]).reshape(-1, 4) for name in sorted(boxes)}


def load_frames(videos: tuple[str, ...], data_dir: Path) -> list[Frame]:
    """The labelled dash-cam frames of ``videos`` in ``data_dir``, sorted by name."""
    return [Frame(cv2.imread(str(data_dir / name), cv2.IMREAD_COLOR),
                  np.float32([box_corners(b) for b in boxes]).reshape(-1, 4, 2))
            for name, boxes in dashcam_boxes(videos, data_dir).items()]


#: The real Chinese scenes' folder name under the data root (CCPD, MIT).
CN_SCENE_SET = "ccpd-cn-scenes"


def plate_quad(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """A CN plate's corners inside its labelled axis-aligned box (x, y, w, h): the plate's
    field (blue, or the green and white of new-energy plates) segmented by colour, its
    minimum-area rectangle; the box itself where the colour gives no plausible plate."""
    x, y, w, h = (int(round(float(v))) for v in box)
    x0, y0 = max(0, x - w // 25), max(0, y - h // 25)
    roi = image[y0:y + h + h // 25, x0:x + w + w // 25]
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    mask = cv2.bitwise_or(cv2.inRange(hsv, (95, 80, 40), (130, 255, 255)),      # blue
                          cv2.inRange(hsv, (35, 25, 80), (90, 255, 255)))       # green
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if contours:
        rect = cv2.minAreaRect(max(contours, key=cv2.contourArea))
        area = rect[1][0] * rect[1][1]
        if 0.45 * w * h <= area <= 1.1 * w * h:
            return order_corners(cv2.boxPoints(rect) + np.float32([x0, y0]))
    return box_corners(np.float32([x, y, w, h]))


def load_cn_scenes(data_dir: Path, names: set[str]) -> list[Frame]:
    """The labelled real Chinese scenes among ``names``, their plates' corners from their
    boxes (``plate_quad``)."""
    frames = []
    with open(data_dir / "labels.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["image"] in names]
    for name in sorted({r["image"] for r in rows}):
        image = cv2.imread(str(data_dir / name), cv2.IMREAD_COLOR)
        boxes = [np.float32([r[k] for k in "xywh"]) for r in rows
                 if r["image"] == name and r["w"]]
        frames.append(Frame(image, np.float32([plate_quad(image, b) for b in boxes])
                            .reshape(-1, 4, 2)))
    return frames


# ------------------------------------------------------------------------------- plate faces

def _latin():
    import models.training.synth_latin as latin  # imported late: CN-only use never loads it

    return latin


def plate_face(rng: np.random.Generator, p_latin: float = 0.6) -> tuple[np.ndarray, str, str]:
    """A flat plate face (float BGR), its region and text."""
    if rng.random() < p_latin:
        latin = _latin()
        style = latin.random_latin_plate(rng)
        return latin.render_flat_latin(rng, style).astype(np.float32), style.region, style.text
    plate = random_cn_plate(rng)
    return draw_cn_plate(rng, plate, float(rng.uniform(0.5, 0.75))), "cn", plate.text


def _shrunk(face: np.ndarray, max_w: int = 320) -> np.ndarray:
    fh, fw = face.shape[:2]
    if fw <= max_w:
        return face
    return cv2.resize(face, (max_w, max(2, round(fh * max_w / fw))), interpolation=cv2.INTER_AREA)


class FacePool:
    """Pre-rendered plate faces (at most 320 px wide) drawn at random: rendering a Latin face
    costs ~13 ms, too much per training sample on one core; ``_dirty`` varies each use. With
    ``real``, a share ``p_real`` of the draws are real plate crops (their own pixels, pasted as a
    face: the plate as a real camera saw it)."""

    def __init__(self, seed: int, count: int, p_latin: float = 0.6,
                 real: list[tuple[np.ndarray, str]] | None = None, p_real: float = 0.0) -> None:
        rng = np.random.default_rng(seed)
        self.faces = []
        for _ in range(count):
            face, region, text = plate_face(rng, p_latin)
            self.faces.append((_shrunk(face), region, text))
        self.real = [(crop.astype(np.float32), "cn", text) for crop, text in real or []]
        self.p_real = p_real if self.real else 0.0

    def __call__(self, rng: np.random.Generator) -> tuple[np.ndarray, str, str]:
        if self.p_real and rng.random() < self.p_real:
            return self.real[int(rng.integers(len(self.real)))]
        return self.faces[int(rng.integers(len(self.faces)))]


def _dirty(rng: np.random.Generator, face: np.ndarray) -> np.ndarray:
    """Colour and light jitter, dirt blotches, sometimes a bright rim (retro-reflection)."""
    h, w = face.shape[:2]
    out = face * rng.uniform(0.75, 1.15, 3).astype(np.float32) + rng.uniform(-25, 25)
    if rng.random() < 0.35:
        blot = cv2.resize(rng.normal(0, 1, (max(2, h // 12), max(2, w // 12))).astype(np.float32),
                          (w, h))
        dirt = np.clip(blot - rng.uniform(0.3, 1.2), 0, 1)[..., None] * rng.uniform(0.3, 0.8)
        out = out * (1 - dirt) + rng.uniform(40, 110) * dirt
    return out


# ------------------------------------------------------------------------------- distractors

@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _fonts() -> list[Path]:
    return sorted(p for p in fonts.DEJAVU_DIR.glob("*.ttf") if "Math" not in p.name)


def _alnum(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list(ascii_uppercase + digits)) for _ in range(n))


def distractor_text(rng: np.random.Generator) -> str:
    """Sign text: plate-like alphanumerics (BLDG084, EST1795, 50XMAX), words, numbers, CJK."""
    r = rng.random()
    if r < 0.35:
        return str(rng.choice(WORDS)) + str(rng.integers(0, 10 ** int(rng.integers(1, 5))))
    if r < 0.5:
        return str(rng.integers(1, 100)) + str(rng.choice(WORDS)).replace(" ", "")
    if r < 0.7:
        return _alnum(rng, int(rng.integers(4, 9)))
    if r < 0.8:
        return str(rng.integers(1, 10 ** int(rng.integers(1, 5))))  # house numbers
    if r < 0.9:
        return str(rng.choice(list(CN_PROVINCES))) + str(rng.choice(CJK_WORDS))
    return " ".join(str(rng.choice(WORDS)) for _ in range(int(rng.integers(1, 3))))


def sign_face(rng: np.random.Generator) -> np.ndarray:
    """Text on a sign, shop front, sticker or wall (float BGR), 1-2 lines, any font and colour."""
    text = distractor_text(rng)
    lines = [text] if rng.random() < 0.75 or len(text) < 6 else [text[: len(text) // 2],
                                                                 text[len(text) // 2:]]
    cjk = any(not c.isascii() for c in text)
    path = str(fonts.require(fonts.CJK) if cjk else rng.choice(_fonts()))
    font = _font(path, int(rng.integers(28, 64)))
    sizes = [font.getbbox(line) for line in lines]
    tw = max(b[2] - b[0] for b in sizes)
    th = max(b[3] - b[1] for b in sizes)
    pad_x, pad_y = (int(rng.uniform(0.05, 0.6) * th) for _ in range(2))
    w, h = tw + 2 * pad_x + 2, len(lines) * int(th * 1.25) + 2 * pad_y + 2
    bg, fg = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    if np.abs(bg - fg).sum() < 150:
        fg = 255 - bg
    img = Image.new("RGB", (w, h), tuple(int(v) for v in bg))
    draw = ImageDraw.Draw(img)
    if rng.random() < 0.4:
        draw.rectangle((1, 1, w - 2, h - 2), outline=tuple(int(v) for v in fg),
                       width=int(rng.integers(1, 4)))
    for i, (line, box) in enumerate(zip(lines, sizes)):
        draw.text((pad_x - box[0], pad_y - box[1] + i * int(th * 1.25)), line,
                  fill=tuple(int(v) for v in fg), font=font,
                  stroke_width=int(rng.integers(0, 2)), stroke_fill=tuple(int(v) for v in fg))
    return np.asarray(img, dtype=np.float32)


def grid_face(rng: np.random.Generator) -> np.ndarray:
    """Windows, grilles, stripes, bricks: regular rectangles that are not plates."""
    h, w = int(rng.integers(20, 120)), int(rng.integers(40, 300))
    img = np.empty((h, w, 3), np.float32)
    img[:] = rng.uniform(0, 255, 3)
    colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
    nx, ny = int(rng.integers(1, 12)), int(rng.integers(1, 8))
    gx, gy = w / nx, h / ny
    fill = rng.uniform(0.5, 0.9)
    for i in range(nx):
        for j in range(ny):
            x0, y0 = int(i * gx + gx * (1 - fill) / 2), int(j * gy + gy * (1 - fill) / 2)
            cv2.rectangle(img, (x0, y0), (int(x0 + gx * fill), int(y0 + gy * fill)), colour, -1)
    return img


# ------------------------------------------------------------------------------- backgrounds

def procedural_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Gradient + low-frequency noise, random shapes, sometimes a road with lanes and boxes."""
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top, bottom = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    img = (top * (1 - yy) + bottom * yy).astype(np.float32) * np.ones((1, w, 1), np.float32)
    cells = int(rng.integers(2, 32))
    img += cv2.resize(rng.normal(0, rng.uniform(5, 40), (cells, cells, 3)).astype(np.float32), (w, h))
    if rng.random() < 0.4:  # road: grey trapezoid below a horizon, lane marks
        horizon = int(h * rng.uniform(0.2, 0.6))
        grey = float(rng.uniform(40, 140))
        road = np.int32([[w * rng.uniform(0.3, 0.5), horizon], [w * rng.uniform(0.5, 0.7), horizon],
                         [w * 1.3, h], [-w * 0.3, h]])
        cv2.fillPoly(img, [road], (grey, grey, grey))
        for x in rng.uniform(0.2, 0.8, int(rng.integers(1, 4))):
            cv2.line(img, (int(w * 0.5), horizon), (int(w * (2 * x - 0.5)), h), (230, 230, 230),
                     int(rng.integers(1, 6)))
    for _ in range(int(rng.integers(0, 14))):
        colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        s = int(rng.integers(5, max(6, min(h, w) // 2)))
        kind = rng.random()
        if kind < 0.5:
            cv2.rectangle(img, (x, y), (x + int(s * rng.uniform(0.5, 3)), y + s), colour, -1)
        elif kind < 0.75:
            cv2.circle(img, (x, y), s // 2, colour, -1)
        else:
            cv2.line(img, (x, y), (int(rng.integers(0, w)), int(rng.integers(0, h))), colour,
                     int(rng.integers(1, 8)))
    return img


def frame_crop(rng: np.random.Generator, frame: Frame, scale: float, h: int, w: int
               ) -> tuple[np.ndarray, list[PlateLabel]]:
    """A (h, w) window of the frame resized by ``scale``, near a real plate 70 % of the time;
    the real plates whose centres fall inside are labels."""
    img = cv2.resize(frame.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ih, iw = img.shape[:2]
    if len(frame.quads) and rng.random() < 0.7:
        x, y = frame.quads[int(rng.integers(len(frame.quads)))].mean(axis=0) * scale
        cx, cy = x + rng.uniform(-0.4, 0.4) * w, y + rng.uniform(-0.4, 0.4) * h
    else:
        cx, cy = rng.uniform(0, iw), rng.uniform(0, ih)
    x0 = int(np.clip(cx - w / 2, 0, max(0, iw - w)))
    y0 = int(np.clip(cy - h / 2, 0, max(0, ih - h)))
    out = procedural_background(rng, h, w) if ih < h or iw < w else None
    crop = img[y0:y0 + h, x0:x0 + w].astype(np.float32)
    if out is None:
        out = crop
    else:
        out[:crop.shape[0], :crop.shape[1]] = crop
    labels = [PlateLabel(q * scale - np.float32([x0, y0]), "real", "") for q in frame.quads]
    return out, [p for p in labels if _inside(p.corners.mean(axis=0), h, w)]


def _inside(point: np.ndarray, h: int, w: int) -> bool:
    return bool(0 <= point[0] < w and 0 <= point[1] < h)


# ------------------------------------------------------------------------------- composition

def paste(canvas: np.ndarray, face: np.ndarray, quad: np.ndarray, alpha: float = 1.0) -> None:
    """Warp ``face`` onto ``quad`` (TL, TR, BR, BL) of ``canvas`` in place, in its bounding box."""
    h, w = canvas.shape[:2]
    x0, y0 = np.floor(quad.min(axis=0)).astype(int).clip(0, [w, h])
    x1, y1 = (np.ceil(quad.max(axis=0)).astype(int) + 1).clip(0, [w, h])
    if x1 <= x0 or y1 <= y0:
        return
    fh, fw = face.shape[:2]
    target_w = float(np.linalg.norm(quad[1] - quad[0]))
    if target_w < fw * 0.7:  # pre-shrink with area averaging: warping alone would alias
        s = max(target_w / fw, 4 / min(fh, fw))
        face = cv2.resize(face, (max(2, int(fw * s)), max(2, int(fh * s))),
                          interpolation=cv2.INTER_AREA)
        fh, fw = face.shape[:2]
    src = np.float32([[0, 0], [fw, 0], [fw, fh], [0, fh]])
    m = cv2.getPerspectiveTransform(src, (quad - [x0, y0]).astype(np.float32))
    size = (int(x1 - x0), int(y1 - y0))
    warped = cv2.warpPerspective(face, m, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((fh, fw), np.float32), m, size, flags=cv2.INTER_LINEAR)
    mask = (mask * alpha)[..., None]
    roi = canvas[y0:y1, x0:x1]
    roi[:] = roi * (1 - mask) + warped * mask


def random_quad(rng: np.random.Generator, aspect: float, width: float, centre: np.ndarray,
                max_angle: float = 12.0) -> np.ndarray:
    """A plate's corners (TL, TR, BR, BL): rotation, yaw/pitch foreshortening, corner jitter."""
    hw, hh = width / 2, width / aspect / 2
    yaw, pitch = rng.uniform(-0.3, 0.3), rng.uniform(-0.15, 0.15)
    pts = np.float32([[-hw, -hh * (1 - yaw)], [hw, -hh * (1 + yaw)],
                      [hw, hh * (1 + yaw)], [-hw, hh * (1 - yaw)]])
    pts[:, 0] *= 1 - np.abs(yaw) * 0.6
    pts[:2, 0] *= 1 - pitch
    pts[2:, 0] *= 1 + pitch
    a = np.deg2rad(rng.normal(0, max_angle / 2.5))
    rot = np.float32([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = pts @ rot.T + rng.normal(0, 0.02 * hh * 2, (4, 2))
    return (pts + centre).astype(np.float32)


def _overlaps(quad: np.ndarray, taken: list[np.ndarray], margin: float = 4.0) -> bool:
    lo, hi = quad.min(axis=0) - margin, quad.max(axis=0) + margin
    return any(np.all(lo < t.max(axis=0)) and np.all(t.min(axis=0) < hi) for t in taken)


def _place(rng: np.random.Generator, h: int, w: int, aspect: float, width: float,
           taken: list[np.ndarray], tries: int = 8) -> np.ndarray | None:
    for _ in range(tries):
        centre = np.float32([rng.uniform(0, w), rng.uniform(0, h)])
        quad = random_quad(rng, aspect, width, centre)
        if not _overlaps(quad, taken):
            return quad
    return None


def add_distractors(rng: np.random.Generator, canvas: np.ndarray, taken: list[np.ndarray],
                    count: int) -> None:
    """Unlabelled signs and grids, kept off the plates in ``taken``."""
    h, w = canvas.shape[:2]
    for _ in range(count):
        face = sign_face(rng) if rng.random() < 0.75 else grid_face(rng)
        fh, fw = face.shape[:2]
        width = float(np.exp(rng.uniform(np.log(20), np.log(min(w, 420)))))
        quad = _place(rng, h, w, fw / fh, width, taken)
        if quad is not None:
            paste(canvas, face * rng.uniform(0.6, 1.2), quad, float(rng.uniform(0.7, 1.0)))
            taken.append(quad)


def add_plates(rng: np.random.Generator, canvas: np.ndarray, taken: list[np.ndarray],
               count: int, faces: FacePool | None = None, min_w: float = 25.0,
               max_w: float = 300.0) -> list[PlateLabel]:
    """Synthetic plates, sometimes on a car-like panel, sometimes partly occluded; faces from
    ``faces`` or rendered afresh."""
    h, w = canvas.shape[:2]
    labels = []
    for _ in range(count):
        face, region, text = faces(rng) if faces else plate_face(rng)
        face = _dirty(rng, face)
        fh, fw = face.shape[:2]
        width = float(np.exp(rng.uniform(np.log(min_w), np.log(max_w))))
        quad = _place(rng, h, w, fw / fh, width, taken)
        if quad is None:
            continue
        if rng.random() < 0.5:  # a bumper or boot around the plate
            c = quad.mean(axis=0)
            body = (quad - c) * np.float32([rng.uniform(1.5, 4), rng.uniform(2, 6)]) + c
            paste(canvas, np.full((8, 8, 3), rng.uniform(0, 255, 3), np.float32), body)
        if rng.random() < 0.3 and fw > 8:  # plate-face blur before the perspective
            face = cv2.GaussianBlur(face, (0, 0), float(rng.uniform(0.5, 2.0)) * fw / width)
        paste(canvas, face, quad)
        if rng.random() < 0.12:  # partial occlusion: a bar over up to a third of one side
            t = rng.uniform(0.1, 0.35)
            side, other = (quad[[0, 3]], quad[[1, 2]]) if rng.random() < 0.5 else \
                (quad[[1, 2]], quad[[0, 3]])
            bar = np.vstack([side[0], side[0] + (other[0] - side[0]) * t,
                             side[1] + (other[1] - side[1]) * t, side[1]]).astype(np.float32)
            paste(canvas, np.full((4, 4, 3), rng.uniform(0, 255, 3), np.float32), bar)
        taken.append(quad)
        labels.append(PlateLabel(quad, region, text))
    return labels


def _motion_blur(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    n = int(rng.integers(3, 10))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(-90, 90)), 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    return cv2.filter2D(img, -1, k / max(k.sum(), 1e-6))


def camera(rng: np.random.Generator, img: np.ndarray, night: bool) -> np.ndarray:
    """Light, glare, blur, low resolution, noise and JPEG over the whole scene (uint8 out)."""
    h, w = img.shape[:2]
    if night:
        img = 255 * (np.clip(img, 0, 255) / 255) ** rng.uniform(1.5, 3.0) * rng.uniform(0.4, 0.9)
        for _ in range(int(rng.integers(1, 6))):  # headlights and street lamps
            glare = np.zeros((h, w), np.float32)
            cv2.circle(glare, (int(rng.integers(0, w)), int(rng.integers(0, h))),
                       int(rng.integers(3, 30)), 1.0, -1)
            glare = cv2.GaussianBlur(glare, (0, 0), float(rng.uniform(4, 25)))
            img = img + glare[..., None] * rng.uniform(150, 400)
    else:
        img = (img - 128) * rng.uniform(0.6, 1.3) + 128 + rng.uniform(-40, 40)
    r = rng.random()
    if r < 0.3:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.4, 1.5)))
    elif r < 0.45:
        img = _motion_blur(rng, img)
    img = resize_camera(rng, img, w, h, (8, 8), chance=0.25, shrink=(0.4, 0.8))
    img = img + rng.normal(0, rng.uniform(0, 10), img.shape).astype(np.float32)
    return jpeg(rng, np.clip(img, 0, 255).astype(np.uint8), 0.6, 30, 95)


def render_scene(rng: np.random.Generator, h: int, w: int, frames: list[Frame] | None = None,
                 p_frame: float = 0.5, frame_scale: float = 0.8,
                 faces: FacePool | None = None, cn_frames: list[Frame] | None = None,
                 p_cn_frame: float = 0.0) -> Scene:
    """One scene of (h, w) pixels. With ``frames``, a share ``p_frame`` of scenes sit on a real
    dash-cam frame resized by about ``frame_scale`` (the working scale), its plates labelled;
    with ``cn_frames``, a share ``p_cn_frame`` on a real Chinese scene (close parking photos,
    plates 100-350 px wide), its plates labelled too."""
    if cn_frames and rng.random() < p_cn_frame:
        frame = cn_frames[int(rng.integers(len(cn_frames)))]
        scale = frame_scale * float(np.exp(rng.uniform(np.log(0.35), np.log(1.2))))
        canvas, labels = frame_crop(rng, frame, scale, h, w)
        n_plates = int(rng.choice([0, 0, 1]))
        night = rng.random() < 0.1
    elif frames and rng.random() < p_frame:
        frame = frames[int(rng.integers(len(frames)))]
        scale = frame_scale * float(np.exp(rng.uniform(np.log(0.6), np.log(1.8))))
        canvas, labels = frame_crop(rng, frame, scale, h, w)
        n_plates = int(rng.choice([0, 0, 1, 1, 2]))
        night = False  # real frames carry their own light; nightride frames are night already
    else:
        canvas, labels = procedural_background(rng, h, w), []
        n_plates = int(rng.choice([0, 1, 1, 2, 3, 4]))
        night = rng.random() < 0.2
    taken = [p.corners for p in labels]
    add_distractors(rng, canvas, taken, int(rng.integers(0, 9)))
    labels += add_plates(rng, canvas, taken, n_plates, faces)
    return Scene(camera(rng, canvas, night), labels)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic detector scenes as JPEG files.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, nargs=2, default=(384, 384), metavar=("H", "W"))
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"data sets folder; half the scenes sit on its {DASHCAM_SET} frames when "
                             "it has them (default: $KAKOU_DATA_DIR, else ../shared/data)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    dashcam = data_root(args.data_dir) / DASHCAM_SET
    frames = load_frames(TRAIN_VIDEOS, dashcam) if dashcam.is_dir() else None
    for i in range(args.count):
        scene = render_scene(rng, *args.size, frames=frames)
        img = scene.image.copy()
        for p in scene.plates:
            cv2.polylines(img, [p.corners.astype(np.int32)], True, (0, 255, 0), 1)
        cv2.imwrite(str(args.out / f"{i:04d}.jpg"), img)


if __name__ == "__main__":
    main()
