"""Evidence: the plate crop and scene of each vehicle's best read.

``EvidenceCollector`` keeps them in memory for the tracks still in view, owned by the camera
loop, and hands them over when a track ends; ``EvidenceStore`` keeps scene images on the box's
disk, one folder per day, and purges them after the retention period. The plate crop travels
inline in the passage (a few KB of JPEG, enough for an officer to confirm a read); the scene
stays on the box, by reference.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from checkpoint.track import Track

log = logging.getLogger(__name__)

SCENE_JPEG_QUALITY = 80


def jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode image of shape {image.shape} as JPEG")
    return buf.tobytes()


@dataclass(frozen=True)
class TrackEvidence:
    crop: np.ndarray    # the plate, as boxed in the frame of the track's best read
    scene: np.ndarray   # that whole frame


class EvidenceCollector:
    """The best read's crop and frame of every live track, and nothing of ended ones."""

    def __init__(self) -> None:
        self._kept: dict[int, TrackEvidence] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, tracks: list[Track], image: np.ndarray) -> None:
        """``image`` is the frame of these tracks' new best reads: keep it for each of them."""
        if not tracks:
            return
        scene = image.copy()   # one copy, shared: neither side writes to it
        h, w = image.shape[:2]
        for track in tracks:
            x1, y1, x2, y2 = (int(round(v)) for v in track.best.read.box)
            crop = scene[max(0, y1):min(h, y2), max(0, x1):min(w, x2)].copy()
            self._kept[track.id] = TrackEvidence(crop, scene)

    def take(self, track: Track) -> TrackEvidence | None:
        """The ended track's evidence, forgotten here."""
        return self._kept.pop(track.id, None)

    def forget(self, tracks: list[Track]) -> None:
        for track in tracks:
            self._kept.pop(track.id, None)


class EvidenceStore:
    """Scene images on the box's disk, one folder per day, purged after ``retention_hours``."""

    def __init__(self, root: Path, retention_hours: float) -> None:
        self.root = root
        self.retention_s = retention_hours * 3600

    def save(self, event_id: str, when: datetime, scene: np.ndarray) -> str:
        folder = self.root / when.strftime("%Y-%m-%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{event_id}.jpg"
        path.write_bytes(jpeg(scene, SCENE_JPEG_QUALITY))
        return str(path)

    def purge(self, now: float | None = None) -> int:
        """Delete scene images older than the retention period; return how many went."""
        cutoff = (now or time.time()) - self.retention_s
        removed = 0
        for path in self.root.glob("*/*.jpg"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        for folder in self.root.glob("*/"):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if removed:
            log.info("evidence retention: removed %d scene images older than %.0f h",
                     removed, self.retention_s / 3600)
        return removed
