import base64
import os
import time
from datetime import datetime, timezone

import cv2
import numpy as np

from checkpoint.config import CameraConfig
from checkpoint.passage import EvidenceStore, build_passage
from checkpoint.read import PlateRead
from checkpoint.track import Sighting, Track

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
OLD = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
CORNERS = np.array([[10, 10], [90, 10], [90, 30], [10, 30]], np.float32)


def sighting(t: float, text: str, conf: float, alternatives=()) -> Sighting:
    return Sighting(t, int(t * 10), PlateRead(text, conf, CORNERS, (conf,) * len(text),
                                              tuple(alternatives)))


def test_passage_carries_the_vote_the_evidence_and_the_runner_ups(tmp_path):
    scene = np.full((100, 200, 3), 128, np.uint8)
    track = Track(1, [sighting(1.0, "KA482BC", 0.9, [("KA482BG", 0.2)]),
                      sighting(1.5, "KA482BC", 0.95), sighting(2.5, "KA482B0", 0.4)],
                  best_crop=scene[10:30, 10:90], best_scene=scene)
    store = EvidenceStore(tmp_path, retention_hours=72)
    p = build_passage(track, checkpoint_id="cp", camera=CameraConfig(id="c1", source="x", lane="2"),
                      started=T0, evidence=store)
    assert (p.plate, p.lane, p.camera_id) == ("KA482BC", "2", "c1")
    assert p.first_seen.timestamp() == T0.timestamp() + 1.0 and p.dwell_seconds == 1.5
    assert [a.text for a in p.alternatives] == ["KA482BG", "KA482B0"]  # 0.2 vs 0.4 / 3 reads
    assert p.char_confidences == [0.95] * 7
    crop = cv2.imdecode(np.frombuffer(base64.b64decode(p.evidence.plate_jpeg_b64), np.uint8), 1)
    assert crop.shape == (20, 80, 3)
    assert os.path.isfile(p.evidence.scene_ref) and p.event_id in p.evidence.scene_ref


def test_evidence_is_purged_after_the_retention_period(tmp_path):
    store = EvidenceStore(tmp_path, retention_hours=72)
    image = np.zeros((10, 10, 3), np.uint8)
    old = store.save("old-event", OLD, image)
    new = store.save("new-event", datetime.now(timezone.utc), image)
    stale = time.time() - 73 * 3600
    os.utime(old, (stale, stale))
    assert store.purge() == 1
    assert not os.path.exists(old) and os.path.exists(new)
    assert not (tmp_path / OLD.strftime("%Y-%m-%d")).exists()  # empty day folders go too
