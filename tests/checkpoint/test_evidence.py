import os
import time
from datetime import datetime, timezone

import numpy as np

from checkpoint.evidence import EvidenceCollector, EvidenceStore
from checkpoint.read import PlateRead
from checkpoint.track import Sighting, Track

OLD = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def track(track_id: int, x: float, y: float, conf: float = 0.9) -> Track:
    corners = np.array([[x, y], [x + 80, y], [x + 80, y + 20], [x, y + 20]], np.float32)
    tr = Track(track_id)
    tr.add(Sighting(0.0, 0, PlateRead("KA482BC", conf, corners)))
    return tr


def test_the_collector_keeps_the_crop_and_frame_of_each_improved_track():
    collector = EvidenceCollector()
    frame = np.zeros((400, 1000, 3), np.uint8)
    frame[100:120, 100:180] = 255
    a, b = track(1, 100, 100), track(2, 990, 390)   # b's box runs off the frame
    collector.keep([a, b], frame)
    frame[:] = 7   # the camera's next frame reuses the buffer: what was kept must not change
    got = collector.take(a)
    assert got.crop.shape == (20, 80, 3) and got.crop.min() == 255
    assert got.scene.shape == (400, 1000, 3) and got.scene.max() == 255
    assert collector.take(b).crop.shape == (10, 10, 3)   # clipped to the frame
    assert collector.take(a) is None and len(collector) == 0   # taken once, then forgotten


def test_a_better_read_replaces_the_kept_evidence_and_discarded_tracks_are_forgotten():
    collector = EvidenceCollector()
    a = track(1, 0, 0)
    collector.keep([a], np.zeros((50, 100, 3), np.uint8))
    collector.keep([a], np.full((50, 100, 3), 9, np.uint8))
    collector.keep([], np.ones((50, 100, 3), np.uint8))   # a frame that improved nothing
    assert len(collector) == 1 and collector.take(a).scene.min() == 9
    collector.keep([a], np.zeros((50, 100, 3), np.uint8))
    collector.forget([a])
    assert len(collector) == 0


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
