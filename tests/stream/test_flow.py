from datetime import datetime, timezone

import pytest

from checkpoint.wire.base import encode
from stream.flow import FlowWindow, flow_warning, outside_home, window_start
from stream.wire import decode_alert

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("ts, window, start", [
    (0, "1m", 0), (59.999, "1m", 0), (60, "1m", 60), (3599, "1h", 0), (3600, "1h", 3600),
    (NOW.timestamp() + 61.5, "1m", NOW.timestamp() + 60),
    (NOW.timestamp() + 3599, "1h", NOW.timestamp()),
])
def test_tumbling_windows_do_not_overlap(ts, window, start):
    assert window_start(ts, window) == start


@pytest.mark.parametrize("plate, prefixes, outside", [
    ("鲁A12345", ("鲁A",), False), ("鲁B12345", ("鲁A",), True), ("京A12345", ("鲁A", "鲁B"), True),
    ("鲁B12345", ("鲁A", "鲁B"), False), ("KA482BC", (), None),
])
def test_outside_home_region_by_plate_prefix(plate, prefixes, outside):
    assert outside_home(plate, prefixes) is outside


def test_window_figures():
    w = FlowWindow("cp", "1m", NOW, vehicles=4, dwell_s=120.0, known_region=3, outside=1)
    assert (w.seconds_per_vehicle, w.headway_s, w.outside_share) == (30.0, 15.0, 1 / 3)
    empty = FlowWindow("cp", "1h", NOW, vehicles=0, dwell_s=0.0, known_region=0, outside=0)
    assert (empty.seconds_per_vehicle, empty.headway_s, empty.outside_share) == (None, None, None)
    assert w.to_json()["start"] == "2026-11-30T08:00:00+00:00"
    assert w.to_json()["seconds_per_vehicle"] == 30.0


def test_flow_warning_once_over_the_threshold_with_an_id_per_window():
    start = int(NOW.timestamp())
    assert flow_warning("cp", "1m", start, 30, 30, NOW) is None      # at the threshold: fine
    assert flow_warning("cp", "1m", start, 500, None, NOW) is None   # no threshold: never
    first = flow_warning("cp", "1m", start, 31, 30, NOW)
    later = flow_warning("cp", "1m", start, 45, 30, NOW)
    assert first.kind == "flow-warning" and first.alert_id == later.alert_id
    assert first.flow.vehicles == 31 and first.flow.threshold == 30 and first.flow.window == "1m"
    assert "31 vehicles in the 1m window from 08:00 UTC" in first.detail
    assert flow_warning("cp", "1m", start + 60, 31, 30, NOW).alert_id != first.alert_id
    assert flow_warning("cp", "1h", start, 31, 30, NOW).alert_id != first.alert_id
    assert decode_alert(encode(first)) == first
