"""Tracks → passages: the VehiclePassage event for one vehicle, its plate voted over the track's
reads, with its evidence: the plate crop inline, the scene saved on the box by reference.
"""
from __future__ import annotations

import base64
from datetime import datetime, timedelta

from checkpoint.config import CameraConfig
from checkpoint.evidence import EvidenceStore, TrackEvidence, jpeg
from checkpoint.track import Track
from checkpoint.vote import Candidate, vote
from checkpoint.wire.base import new_event_id
from checkpoint.wire.edge import Evidence, PlateAlternative, VehiclePassage

CROP_JPEG_QUALITY = 85


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


def build_passage(track: Track, evidence: TrackEvidence | None, *, checkpoint_id: str,
                  camera: CameraConfig, started: datetime,
                  store: EvidenceStore | None) -> VehiclePassage:
    """One passage from one ended track and its evidence; ``started`` is the wall time of the
    source's t=0; the scene is saved in ``store`` (none: not kept)."""
    result = vote((s.read.text, s.read.confidence) for s in track.sightings)
    best = max(track.sightings, key=lambda s: (s.read.text == result.best.text,
                                               len(s.read.text) == len(result.best.text),
                                               s.read.confidence))
    event_id = new_event_id()
    first_seen = started + timedelta(seconds=track.first_t)
    last_seen = started + timedelta(seconds=track.last_t)
    crop_b64 = (base64.b64encode(jpeg(evidence.crop, CROP_JPEG_QUALITY)).decode("ascii")
                if evidence is not None and evidence.crop.size else None)
    scene_ref = (store.save(event_id, last_seen, evidence.scene)
                 if store is not None and evidence is not None else None)
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
