import base64
import os
from datetime import datetime, timezone

import cv2
import numpy as np

from checkpoint.config import CameraConfig
from checkpoint.evidence import EvidenceStore, TrackEvidence
from checkpoint.passage import build_passage
from checkpoint.read import PlateRead
from checkpoint.track import Sighting, Track

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
CORNERS = np.array([[10, 10], [90, 10], [90, 30], [10, 30]], np.float32)
CAMERA = CameraConfig(id="c1", source="x", lane="2")


def sighting(t: float, text: str, conf: float, alternatives=()) -> Sighting:
    return Sighting(t, int(t * 10), PlateRead(text, conf, CORNERS, (conf,) * len(text),
                                              tuple(alternatives)))


def track_of(*sightings: Sighting) -> Track:
    track = Track(1)
    for s in sightings:
        track.add(s)
    return track


def test_passage_carries_the_vote_the_evidence_and_the_runner_ups(tmp_path):
    scene = np.full((100, 200, 3), 128, np.uint8)
    track = track_of(sighting(1.0, "KA482BC", 0.9, [("KA482BG", 0.2)]),
                     sighting(1.5, "KA482BC", 0.95), sighting(2.5, "KA482B0", 0.4))
    store = EvidenceStore(tmp_path, retention_hours=72)
    p = build_passage(track, TrackEvidence(scene[10:30, 10:90], scene), checkpoint_id="cp",
                      camera=CAMERA, started=T0, store=store)
    assert (p.plate, p.lane, p.camera_id) == ("KA482BC", "2", "c1")
    assert p.first_seen.timestamp() == T0.timestamp() + 1.0 and p.dwell_seconds == 1.5
    assert [a.text for a in p.alternatives] == ["KA482BG", "KA482B0"]  # 0.2 vs 0.4 / 3 reads
    assert p.char_confidences == [0.95] * 7
    crop = cv2.imdecode(np.frombuffer(base64.b64decode(p.evidence.plate_jpeg_b64), np.uint8), 1)
    assert crop.shape == (20, 80, 3)
    assert os.path.isfile(p.evidence.scene_ref) and p.event_id in p.evidence.scene_ref


def test_a_passage_without_evidence_or_store_keeps_none():
    track = track_of(sighting(1.0, "KA482BC", 0.9), sighting(1.2, "KA482BC", 0.9))
    p = build_passage(track, None, checkpoint_id="cp", camera=CAMERA, started=T0, store=None)
    assert p.evidence.plate_jpeg_b64 is None and p.evidence.scene_ref is None
    scene = np.zeros((40, 40, 3), np.uint8)
    p = build_passage(track, TrackEvidence(scene[:10, :20], scene), checkpoint_id="cp",
                      camera=CAMERA, started=T0, store=None)
    assert p.evidence.plate_jpeg_b64 and p.evidence.scene_ref is None   # the crop travels
