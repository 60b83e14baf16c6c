"""Which passage an ID check links to (checkpoint/lanes.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from checkpoint.lanes import LaneBoard, LanePassage, open_passage
from checkpoint.wire.edge import VehiclePassage

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=5)


def passage(lane: str, last_seen: datetime) -> VehiclePassage:
    return VehiclePassage(checkpoint_id="cp", lane=lane, camera_id="c", plate="鲁A3K782",
                          plate_confidence=0.9, first_seen=last_seen - timedelta(seconds=5),
                          last_seen=last_seen, dwell_seconds=5)


def test_open_passage_is_the_latest_within_the_window():
    latest = LanePassage("p1", T0)
    assert open_passage(latest, T0 + timedelta(minutes=4), WINDOW) == "p1"
    assert open_passage(latest, T0 + timedelta(minutes=6), WINDOW) is None
    assert open_passage(latest, T0 - timedelta(seconds=1), WINDOW) is None   # before it was seen
    assert open_passage(None, T0, WINDOW) is None


def test_each_lane_keeps_its_own_latest_passage_only():
    board = LaneBoard(WINDOW)
    first, second, other = passage("1", T0), passage("1", T0 + timedelta(seconds=30)), \
        passage("2", T0 + timedelta(seconds=10))
    for p in (second, first, other):          # a late-emitted older passage does not win
        board.observe(p)
    at = T0 + timedelta(minutes=1)
    assert board.passage_at("1", at) == second.event_id
    assert board.passage_at("2", at) == other.event_id
    assert board.passage_at("3", at) is None
