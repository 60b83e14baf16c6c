import numpy as np

from checkpoint.config import TrackConfig
from checkpoint.read import PlateRead
from checkpoint.track import Tracker

CFG = TrackConfig(max_gap_s=1.0, max_track_s=10.0, max_distance=0.1, min_reads=2)
WIDTH = 1000  # max jump = 100 px


def read(text: str, x: float, y: float, conf: float = 0.9) -> PlateRead:
    corners = np.array([[x, y], [x + 80, y], [x + 80, y + 20], [x, y + 20]], dtype=np.float32)
    return PlateRead(text, conf, corners)


def test_a_moving_plate_is_one_track_that_ends_when_unseen():
    tracker = Tracker(CFG, WIDTH)
    for i in range(5):
        assert tracker.update(i * 0.1, i, [read("KA482BC", 100, 100 + 30 * i)]).ended == []
    ended = tracker.update(2.0, 20, []).ended
    assert len(ended) == 1
    assert [s.frame_index for s in ended[0].sightings] == [0, 1, 2, 3, 4]


def test_two_vehicles_far_apart_are_two_tracks():
    tracker = Tracker(CFG, WIDTH)
    for i in range(3):
        tracker.update(i * 0.1, i, [read("KA482BC", 100, 100 + 10 * i), read("BMX4473", 600, 300)])
    ended = tracker.finish().ended
    assert sorted(t.sightings[0].read.text for t in ended) == ["BMX4473", "KA482BC"]


def test_a_jump_larger_than_max_distance_starts_a_new_track():
    tracker = Tracker(CFG, WIDTH)
    tracker.update(0.0, 0, [read("A1", 100, 100)])
    tracker.update(0.1, 1, [read("A1", 100, 110)])
    tracker.update(0.2, 2, [read("A1", 400, 110)])
    tracker.update(0.3, 3, [read("A1", 400, 120)])
    assert len(tracker.finish().ended) == 2


def test_single_stray_reads_are_discarded_not_emitted():
    tracker = Tracker(CFG, WIDTH)
    tracker.update(0.0, 0, [read("STRAY1", 500, 500)])
    step = tracker.update(5.0, 50, [])
    assert step.ended == []
    assert [t.sightings[0].read.text for t in step.discarded] == ["STRAY1"]


def test_a_long_stay_is_reported_after_max_track_s():
    tracker = Tracker(CFG, WIDTH)
    ended = []
    for i in range(120):
        ended += tracker.update(i * 0.1, i, [read("KA482BC", 100, 100)]).ended
    assert len(ended) == 1
    assert ended[0].last_t - ended[0].first_t <= CFG.max_track_s


def test_each_step_names_the_tracks_whose_best_read_it_holds():
    tracker = Tracker(CFG, WIDTH)
    first = tracker.update(0.0, 0, [read("KA482BC", 100, 100, conf=0.5)])
    better = tracker.update(0.1, 1, [read("KA482BC", 100, 105, conf=0.99)])
    worse = tracker.update(0.2, 2, [read("KA482BC", 100, 110, conf=0.6)])
    assert len(first.improved) == 1 and better.improved == first.improved
    assert worse.improved == []
    (track,) = tracker.finish().ended
    assert track.best.frame_index == 1 and track.best.read.confidence == 0.99


def test_an_equally_confident_later_read_is_not_a_new_best():
    tracker = Tracker(CFG, WIDTH)
    tracker.update(0.0, 0, [read("KA482BC", 100, 100, conf=0.9)])
    assert tracker.update(0.1, 1, [read("KA482BC", 100, 105, conf=0.9)]).improved == []
    (track,) = tracker.finish().ended
    assert track.best.frame_index == 0


def test_after_a_gap_in_reads_a_plate_may_have_moved_further():
    tracker = Tracker(CFG, WIDTH)  # max jump 100 px, max speed 0.5 widths/s = 500 px/s
    tracker.update(0.0, 0, [read("KA482BC", 100, 100)])
    tracker.update(0.1, 1, [read("KA482BC", 100, 130)])
    tracker.update(0.6, 6, [read("KA482BC", 100, 330)])  # 200 px in 0.5 s: frames were dropped
    tracker.update(0.7, 7, [read("KA482BC", 100, 700)])  # 370 px in 0.1 s: another vehicle
    tracker.update(1.2, 12, [read("BMX4473", 100, 550)])  # far and another plate: not this one
    step = tracker.finish()
    (track,) = step.ended
    assert [s.frame_index for s in track.sightings] == [0, 1, 6]
    assert len(step.discarded) == 2  # the far ones started tracks of their own (single reads)
