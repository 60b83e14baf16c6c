"""A plate's trace: the checkpoints it passed in time order, the time between them, and where
to draw them on a schematic map laid out from the checkpoints' coordinates. Pure functions."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from stream.console.config import Place


@dataclass(frozen=True)
class Stop:
    checkpoint_id: str
    time: datetime
    camera_id: str
    direction: str
    plate: str
    since_previous_s: float | None   #: seconds since the stop before; None for the first


def stops_of(rows: Sequence[Mapping]) -> list[Stop]:
    """History rows (any order) as stops, oldest first, each with the time since the last."""
    ordered = sorted(rows, key=lambda r: r["last_seen"])
    return [Stop(r["checkpoint_id"], r["last_seen"], r["camera_id"], r["direction"], r["plate"],
                 None if i == 0 else (r["last_seen"] - ordered[i - 1]["last_seen"]
                                      ).total_seconds())
            for i, r in enumerate(ordered)]


def layout(places: Mapping[str, Place], width: float = 640, height: float = 420,
           margin: float = 60) -> dict[str, tuple[float, float]]:
    """Screen points for the places: an equirectangular projection at their mean latitude,
    scaled to fit the box with the aspect kept, north up."""
    if not places:
        return {}
    mean_lat = math.radians(sum(p.lat for p in places.values()) / len(places))
    xs = {k: p.lon * math.cos(mean_lat) for k, p in places.items()}
    ys = {k: p.lat for k, p in places.items()}
    span = max(max(xs.values()) - min(xs.values()), max(ys.values()) - min(ys.values()), 1e-9)
    scale = min(width - 2 * margin, height - 2 * margin) / span
    x0, y1 = min(xs.values()), max(ys.values())
    return {k: (margin + (xs[k] - x0) * scale, margin + (y1 - ys[k]) * scale) for k in places}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, s = divmod(int(round(seconds)), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min" if hours else f"{m} min {s:02d} s"
