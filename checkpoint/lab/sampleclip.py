"""Deterministic synthetic checkpoint clip with known plates, for the demo and the tests.

Real checkpoint footage cannot ship with the repository (privacy, size), yet the edge pipeline
has to be exercised end to end on video. This module draws a one-lane road seen from a gantry
camera and drives a few cars through it, one after another, each with a crisp licence plate,
then writes the ground truth (``<clip>.truth.json``) beside the MP4 so a run can be scored.
Everything comes from one seeded RNG: the same arguments always give the same frames.

    checkpoint sample-clip OUT.mp4 [--seed N]
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from checkpoint.grammar import cn_plate_type
from checkpoint.lab import fonts
from checkpoint.lab.cn_plates import CnPlate, draw_cn_plate, plate_for
from checkpoint.wire.plates import normalise

#: The sample clip's plates: a lane at a Jinan checkpoint (鲁A is Jinan), with vehicles from
#: elsewhere in Shandong and from neighbouring provinces, and plates of several kinds: blue,
#: green new-energy, a yellow large vehicle, a white police car.
SAMPLE_PLATES: tuple[str, ...] = (
    "鲁A·3K782", "鲁A·D12358", "鲁B·7HF30", "冀A·8PX61", "鲁A·0867警", "京Q·52C37",
)
#: A European lane: Latin plates without O/0 or I/1 look-alikes.
EU_PLATES: tuple[str, ...] = (
    "KA 482 BC", "B MX 4473", "GD 37 TRN", "PW 5K938", "WX 963 LA", "M RK 2274",
)
#: A busier European lane (twelve vehicles, the six first) for tests that need a longer clip.
BUSY_PLATES: tuple[str, ...] = EU_PLATES + (
    "HN 52 KTV", "ZR 881 AC", "S UV 7293", "FK 3N640", "TX 27 WMB", "C RN 5386",
)
#: The lanes a clip can show, by the plate region its camera reads.
LANES: dict[str, tuple[str, ...]] = {"cn": SAMPLE_PLATES, "any": EU_PLATES}

# Geometry in "units": pixels on the reference 960x540 frame, scaled with the frame size.
_REF_W, _REF_H = 960, 540
_BODY_W, _BODY_H = 250, 200       # car body seen from the gantry, front (plate) at the bottom
_PLATE_W, _PLATE_H = 170, 40
_MARGIN = 24                      # sprite room around the body for shadow, mirrors, wheels
_SPEED = 180.0                    # units per second, towards the camera
_SCALE_NEAR = 1.12                # growth from the top of the frame (1.0) to the bottom
_LEAD_S = 0.4                     # empty road before the first car and after the last
_NOISE_SIGMA = 2.0                # per-frame sensor noise, grey levels

_BODY_COLOURS: tuple[tuple[int, int, int], ...] = (   # RGB
    (178, 34, 34), (30, 70, 160), (190, 192, 196), (34, 100, 60),
    (235, 235, 232), (45, 45, 50), (215, 120, 30), (110, 40, 110),
)
#: Plate styles, RGB: (field, ink).
_PLATE_STYLES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "white": ((250, 250, 248), (10, 10, 10)),
    "yellow": ((250, 205, 20), (10, 10, 10)),
    "blue": ((18, 62, 168), (245, 245, 245)),   # Chinese ordinary plate
}


@dataclass(frozen=True)
class ClipVehicle:
    """One car in the clip and when it is on screen (times in seconds from clip start)."""

    plate: str          # normalised plate text, e.g. "KA482BC", "鲁A3K782"
    printed: str        # as printed on the plate, e.g. "KA 482 BC"
    enters_s: float     # first appears at the top of the frame
    leaves_s: float     # has fully left at the bottom of the frame


@dataclass(frozen=True)
class ClipTruth:
    """What the clip contains, so a pipeline run over it can be scored."""

    path: str
    width: int
    height: int
    fps: float
    frames: int
    vehicles: tuple[ClipVehicle, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> ClipTruth:
        data = json.loads(text)
        vehicles = tuple(ClipVehicle(**v) for v in data.pop("vehicles"))
        return cls(vehicles=vehicles, **data)


@dataclass(frozen=True)
class _Motion:
    """Car motion on screen: the body bottom moves down at constant speed as the car grows."""

    height: int
    unit: float        # pixels per geometry unit at scale 1.0

    @property
    def speed(self) -> float:
        return _SPEED * self.unit

    def scale(self, bottom: float) -> float:
        return 1.0 + (_SCALE_NEAR - 1.0) * bottom / self.height

    def body_height(self, bottom: float) -> float:
        return _BODY_H * self.unit * self.scale(bottom)

    def leave_bottom(self) -> float:
        """Body bottom at which its top passes the frame bottom (closed form: scale is linear)."""
        growth = _BODY_H * self.unit * (_SCALE_NEAR - 1.0) / self.height
        return (self.height + _BODY_H * self.unit) / (1.0 - growth)

    def lifetime_s(self) -> float:
        return self.leave_bottom() / self.speed


def _is_cn(printed: str) -> bool:
    return not normalise(printed).isascii()


def _cn_plate(text: str, index: int) -> CnPlate:
    """The plate a clip's i-th Chinese vehicle carries: its usual kind, every third ordinary
    one on a large vehicle's yellow plate."""
    plate = plate_for(text)
    if cn_plate_type(text) == "ordinary" and index % 3 == 2:
        return CnPlate(text, "yellow")
    return plate


def plate_of(printed: str) -> str:
    """The plate as the pipeline reports it (``normalise``); ValueError for one the renderer
    cannot draw: no plate characters, or Chinese characters on no kind of Chinese plate."""
    plate = normalise(printed)
    if not plate:
        raise ValueError(f"plate {printed!r} has no plate characters")
    if not plate.isascii() and cn_plate_type(plate) is None:
        raise ValueError(f"plate {printed!r} is no Chinese plate the grammar knows (its province "
                         "character first, a special-use character last)")
    return plate


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.require(path)), size)


def _run_mask(text: str, path: Path, cap_height: int) -> Image.Image:
    """One font's run of text as an 8-bit mask, its capitals (or CJK ink) cap_height tall. CJK
    is drawn bolder than the font's one weight, as plates print it (the CN recogniser reads a
    thin 鲁 as 浙)."""
    _, top, _, bottom = _font(path, 100).getbbox("H" if text.isascii() else text)
    font = _font(path, max(8, round(100 * cap_height / (bottom - top))))
    stroke = 0 if text.isascii() else round(0.04 * font.size)
    left, top, right, bottom = (round(v) for v in font.getbbox(text, stroke_width=stroke))
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, stroke_width=stroke,
                              stroke_fill=255)
    return mask


def _text_mask(text: str, cap_height: int, max_width: int) -> Image.Image:
    """Text as an 8-bit mask, capitals cap_height tall, squeezed like a plate font if too wide.
    A Chinese province character is drawn with the CJK font, the rest with DejaVu."""
    runs = [_run_mask(text[0], fonts.CJK, cap_height), _run_mask(text[1:], fonts.SANS_BOLD, cap_height)] \
        if _is_cn(text) else [_run_mask(text, fonts.SANS_BOLD, cap_height)]
    gap = cap_height // 6
    mask = Image.new("L", (sum(r.width for r in runs) + gap * (len(runs) - 1),
                           max(r.height for r in runs)), 0)
    x = 0
    for run in runs:
        mask.paste(run, (x, (mask.height - run.height) // 2))
        x += run.width + gap
    return mask.resize((min(mask.width, max_width), mask.height), Image.Resampling.LANCZOS)


def _plate_image(printed: str, style: str, px: float) -> Image.Image:
    """A plate px pixels per unit: coloured field, border and text in the style's ink."""
    field, ink = _PLATE_STYLES[style]
    w, h = round(_PLATE_W * px), round(_PLATE_H * px)
    plate = Image.new("RGB", (w, h), field)
    border = max(2, round(2.5 * px))
    ImageDraw.Draw(plate).rectangle((0, 0, w - 1, h - 1), outline=ink, width=border)
    mask = _text_mask(printed, round(0.72 * h), w - 2 * border - round(12 * px))
    plate.paste(ink, ((w - mask.width) // 2, (h - mask.height) // 2), mask)
    return plate


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int, int]:
    """Opaque RGBA of the body colour darkened, for panels and trim that must match the car."""
    r, g, b = (min(255, round(c * factor)) for c in rgb)
    return r, g, b, 255


def _cn_plate_image(plate: CnPlate, px: float, rng: np.random.Generator) -> Image.Image:
    """A Chinese plate as the lab draws it (``checkpoint.lab.cn_plates``), _PLATE_H units tall."""
    face = draw_cn_plate(rng, plate, _PLATE_H * px / 140)
    return Image.fromarray(np.clip(face[..., ::-1], 0, 255).astype(np.uint8))


def _car_sprite(printed: str, body: tuple[int, int, int], style: str, px: float,
                plate_image: Image.Image | None = None) -> np.ndarray:
    """A car seen from above and in front, as BGRA float32 in [0, 1] (straight alpha).

    Drawn once at the largest size it reaches and only ever shrunk per frame, so the plate text
    stays sharp. The body box sits at (_MARGIN, _MARGIN) units inside the sprite. The plate is
    ``plate_image`` where given (a Chinese plate), else drawn in ``style``.
    """
    def pt(x: float, y: float) -> tuple[int, int]:
        return round((x + _MARGIN) * px), round((y + _MARGIN) * px)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (*pt(x0, y0), *pt(x1, y1))

    size = (round((_BODY_W + 2 * _MARGIN) * px), round((_BODY_H + 2 * _MARGIN) * px))
    shadow = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).rounded_rectangle(
        box(6, 10, _BODY_W + 10, _BODY_H + 14), radius=round(30 * px), fill=(0, 0, 0, 120))
    car = shadow.filter(ImageFilter.GaussianBlur(6 * px))

    draw = ImageDraw.Draw(car)
    dark = (18, 18, 20, 255)
    for x0 in (-8, _BODY_W - 10):                                    # tyres peeking out
        draw.rounded_rectangle(box(x0, 140, x0 + 18, 196), radius=round(5 * px), fill=dark)
    for x0 in (-14, _BODY_W - 2):                                    # door mirrors
        draw.rounded_rectangle(box(x0, 82, x0 + 16, 100), radius=round(4 * px),
                               fill=_shade(body, 0.8))
    draw.rounded_rectangle(box(0, 0, _BODY_W, _BODY_H), radius=round(28 * px),
                           fill=(*body, 255), outline=_shade(body, 0.6),
                           width=max(1, round(2 * px)))
    draw.rounded_rectangle(box(30, 8, _BODY_W - 30, 52), radius=round(14 * px),
                           fill=_shade(body, 0.88))                                  # roof
    draw.polygon([pt(38, 52), pt(_BODY_W - 38, 52), pt(_BODY_W - 22, 100), pt(22, 100)],
                 fill=(42, 58, 74, 255))                                            # windscreen
    draw.line([pt(70, 58), pt(52, 94)], fill=(120, 140, 160, 255),
              width=max(1, round(4 * px)))                                          # glare
    draw.line([pt(40, 108), pt(_BODY_W - 40, 108)],
              fill=_shade(body, 0.75), width=max(1, round(2 * px)))                # bonnet
    for x0 in (16, _BODY_W - 70):                                    # headlights
        draw.rounded_rectangle(box(x0, 116, x0 + 54, 138), radius=round(6 * px),
                               fill=(238, 236, 214, 255), outline=(90, 90, 90, 255))
    draw.rounded_rectangle(box(84, 116, _BODY_W - 84, 140), radius=round(4 * px), fill=dark)
    if plate_image is None:
        car.paste(_plate_image(printed, style, px), pt((_BODY_W - _PLATE_W) / 2, 150))
    else:
        car.paste(plate_image, (round((_BODY_W / 2 + _MARGIN) * px - plate_image.width / 2),
                                pt(0, 150)[1]))

    rgba = np.asarray(car, dtype=np.float32) / 255.0
    return rgba[..., [2, 1, 0, 3]]


def _background(width: int, height: int, unit: float, rng: np.random.Generator) -> np.ndarray:
    """Static road scene (BGR float32): textured asphalt, edge lines, kerbs, pavement, verge."""
    def band(inner: float, outer: float) -> list[np.ndarray]:
        """Strips on both sides between two offsets from the lane centre, narrower far away."""
        strips = []
        for sign in (-1, 1):
            corners = ((inner, 0.9, 0), (outer, 0.9, 0), (outer, 1.0, height), (inner, 1.0, height))
            strips.append(np.array([(width / 2 + sign * off * unit * persp, y)
                                    for off, persp, y in corners]).round().astype(np.int32))
        return strips

    scene = np.empty((height, width, 3), np.float32)
    scene[:] = (72, 108, 90)                                                         # verge
    for (inner, outer), colour in (((0, 210), (92, 94, 96)), ((210, 224), (172, 172, 168)),
                                   ((224, 300), (138, 140, 140)), ((178, 192), (225, 225, 222))):
        cv2.fillPoly(scene, band(inner, outer), colour, cv2.LINE_AA)
    blotches = cv2.resize(rng.normal(0, 5, (height // 24 + 1, width // 24 + 1)).astype(np.float32),
                          (width, height), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 4, (height, width)).astype(np.float32)
    return scene + (blotches + grain)[..., None]


def _composite(frame: np.ndarray, sprite: np.ndarray, x: int, y: int) -> None:
    """Alpha-blend sprite into frame with its top-left at (x, y), clipped to the frame."""
    h, w = frame.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + sprite.shape[1], w), min(y + sprite.shape[0], h)
    if x0 >= x1 or y0 >= y1:
        return
    part = sprite[y0 - y:y1 - y, x0 - x:x1 - x]
    alpha = part[..., 3:]
    frame[y0:y1, x0:x1] = frame[y0:y1, x0:x1] * (1.0 - alpha) + part[..., :3] * 255.0 * alpha


def render_clip(
    path: str | Path,
    *,
    plates: Sequence[str] = SAMPLE_PLATES,
    width: int = 960,
    height: int = 540,
    fps: float = 10.0,
    seed: int = 7,
    gap_s: float = 2.2,
) -> ClipTruth:
    """Render the clip to path (MP4, mp4v) plus ``<path>.truth.json``; return the truth.

    A car enters every gap_s seconds; each stays fully in frame for about 1.8 s on the default
    geometry, so an OCR on every 2nd frame at 10 fps gets several reads of every plate.
    """
    if not plates:
        raise ValueError("plates must not be empty")
    normalised = [plate_of(p) for p in plates]
    unit = min(width / _REF_W, height / _REF_H)
    motion = _Motion(height=height, unit=unit)
    # When a car enters, the one before must already be a full (largest) body length ahead.
    if gap_s * motion.speed <= motion.body_height(motion.leave_bottom()) + _MARGIN * unit:
        raise ValueError(f"gap_s={gap_s} is too short: successive cars would overlap")

    rng = np.random.default_rng(seed)
    scene = _background(width, height, unit, rng)
    colours = rng.permutation(len(_BODY_COLOURS))
    px_max = unit * motion.scale(motion.leave_bottom())
    sprites = [
        _car_sprite(printed, _BODY_COLOURS[colours[i % len(colours)]],
                    "yellow" if i % 3 == 2 else "white", px_max,
                    _cn_plate_image(_cn_plate(plate, i), px_max, np.random.default_rng([seed, i]))
                    if _is_cn(printed) else None)
        for i, (printed, plate) in enumerate(zip(plates, normalised, strict=True))
    ]
    offsets = rng.uniform(-12, 12, len(plates)) * unit
    vehicles = tuple(
        ClipVehicle(plate, printed, round(_LEAD_S + i * gap_s, 3),
                    round(_LEAD_S + i * gap_s + motion.lifetime_s(), 3))
        for i, (plate, printed) in enumerate(zip(normalised, plates, strict=True))
    )
    frames = math.ceil((vehicles[-1].leaves_s + _LEAD_S) * fps)

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write an mp4v video to {path}")
    try:
        for index in range(frames):
            frame = scene.copy()
            t = index / fps
            for vehicle, sprite, offset in zip(vehicles, sprites, offsets, strict=True):
                if vehicle.enters_s < t < vehicle.leaves_s:
                    _draw_vehicle(frame, sprite, motion, (t - vehicle.enters_s) * motion.speed,
                                  width / 2 + offset, px_max)
            frame += rng.normal(0, _NOISE_SIGMA, frame.shape).astype(np.float32)
            writer.write(np.clip(frame, 0, 255).round().astype(np.uint8))
    finally:
        writer.release()

    truth = ClipTruth(str(path), width, height, float(fps), frames, vehicles)
    Path(f"{path}.truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth


def _draw_vehicle(frame: np.ndarray, sprite: np.ndarray, motion: _Motion, bottom: float,
                  centre_x: float, px_max: float) -> None:
    """Shrink the sprite to the car's current size and place its body bottom at `bottom`."""
    px = motion.unit * motion.scale(bottom)
    size = (round(sprite.shape[1] * px / px_max), round(sprite.shape[0] * px / px_max))
    scaled = cv2.resize(sprite, size, interpolation=cv2.INTER_AREA)
    x = round(centre_x - (_BODY_W / 2 + _MARGIN) * px)
    y = round(bottom - (_BODY_H + _MARGIN) * px)
    _composite(frame, scaled, x, y)
