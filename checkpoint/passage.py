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
from checkpoint.contracts import Evidence, PlateAlternative, VehiclePassage, new_event_id
from checkpoint.track import Track
from checkpoint.vote import vote

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


def build_passage(track: Track, *, checkpoint_id: str, camera: CameraConfig, started: datetime,
                  evidence: EvidenceStore | None) -> VehiclePassage:
    """One passage from one ended track; ``started`` is the wall time of the source's t=0."""
    result = vote((s.read.text, s.read.confidence) for s in track.sightings)
    best = max((s for s in track.sightings if s.read.text == result.best.text),
               key=lambda s: s.read.confidence)
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
        alternatives=[PlateAlternative(text=c.text, confidence=c.confidence)
                      for c in result.alternatives],
        plate_box=best.read.box,
        plate_corners=[(float(x), float(y)) for x, y in best.read.corners],
        evidence=Evidence(plate_jpeg_b64=crop_b64, scene_ref=scene_ref),
        dwell_seconds=max(0.0, track.last_t - track.first_t),
    )
