"""Tracks → passages: the VehiclePassage event for one vehicle, with its evidence.

The plate crop travels inline (a few KB of JPEG, enough for an officer to confirm a read); the
scene image stays on the box under ``evidence_dir`` and is deleted after the retention period.
"""
from __future__ import annotations

import base64
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from checkpoint.config import CameraConfig
from checkpoint.wire.base import new_event_id
from checkpoint.wire.edge import Evidence, PlateAlternative, VehiclePassage
from checkpoint.track import Track
from checkpoint.vote import Candidate, vote

log = logging.getLogger(__name__)

CROP_JPEG_QUALITY = 85
SCENE_JPEG_QUALITY = 80


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode image of shape {image.shape} as JPEG")
    return buf.tobytes()


class EvidenceStore:
    """Scene images on the box's disk, one folder per day, purged after ``retention_hours``."""

    def __init__(self, root: Path, retention_hours: float) -> None:
        self.root = root
        self.retention_s = retention_hours * 3600

    def save(self, event_id: str, when: datetime, scene: np.ndarray) -> str:
        folder = self.root / when.strftime("%Y-%m-%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{event_id}.jpg"
        path.write_bytes(_jpeg(scene, SCENE_JPEG_QUALITY))
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


def _alternatives(voted: tuple[Candidate, ...], read: list[tuple[str, float]], best: str,
                  limit: int = 4, floor: float = 0.01) -> list[PlateAlternative]:
    """Other texts the track read, and the recogniser's runner-ups for the best text, best first.

    Runner-ups below ``floor`` are noise: offered to the matcher, they would only make false hits.
    """
    merged: dict[str, float] = {}
    for text, confidence in [(c.text, c.confidence) for c in voted] + read:
        if text != best and confidence >= floor:
            merged[text] = max(confidence, merged.get(text, 0.0))
    ranked = sorted(merged.items(), key=lambda kv: -kv[1])[:limit]
    return [PlateAlternative(text=t, confidence=min(1.0, c)) for t, c in ranked]


def build_passage(track: Track, *, checkpoint_id: str, camera: CameraConfig, started: datetime,
                  evidence: EvidenceStore | None) -> VehiclePassage:
    """One passage from one ended track; ``started`` is the wall time of the source's t=0."""
    result = vote((s.read.text, s.read.confidence) for s in track.sightings)
    best = max(track.sightings, key=lambda s: (s.read.text == result.best.text,
                                               len(s.read.text) == len(result.best.text),
                                               s.read.confidence))
    event_id = new_event_id()
    first_seen = started + timedelta(seconds=track.first_t)
    last_seen = started + timedelta(seconds=track.last_t)
    crop_b64 = (base64.b64encode(_jpeg(track.best_crop, CROP_JPEG_QUALITY)).decode("ascii")
                if track.best_crop is not None and track.best_crop.size else None)
    scene_ref = (evidence.save(event_id, last_seen, track.best_scene)
                 if evidence is not None and track.best_scene is not None else None)
    return VehiclePassage(
        event_id=event_id,
        checkpoint_id=checkpoint_id,
        lane=camera.lane,
        camera_id=camera.id,
        direction=camera.direction,
        first_seen=first_seen,
        last_seen=last_seen,
        plate=result.best.text,
        region=camera.plate_region,
        plate_confidence=result.best.confidence,
        alternatives=_alternatives(result.alternatives, [
            alt for s in track.sightings if s.read.text == result.best.text
            for alt in s.read.alternatives], result.best.text),
        char_confidences=list(best.read.char_confidences)
        if len(best.read.char_confidences) == len(result.best.text) else [],
        plate_box=best.read.box,
        plate_corners=[(float(x), float(y)) for x, y in best.read.corners],
        evidence=Evidence(plate_jpeg_b64=crop_b64, scene_ref=scene_ref),
        dwell_seconds=max(0.0, track.last_t - track.first_t),
    )
