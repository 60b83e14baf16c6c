"""Search queries and traces: what a query must carry, and the SQL patterns it stands for."""
from datetime import datetime, timedelta, timezone

import pytest

from stream.console.config import Place
from stream.console.search import MAX_RANGE, SearchError, like_patterns, parse_search
from stream.console.trace import duration, layout, stops_of

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def search(plate="鲁A12345", since=T0, until=T0 + timedelta(hours=1), checkpoint=None,
           one_wrong=False, reason="stolen car enquiry", case="JN-1"):
    return parse_search(plate, since, until, checkpoint, one_wrong, reason, case)


@pytest.mark.parametrize("plate,patterns", [
    ("鲁A12345", ["鲁A12345"]), ("鲁a·12345", ["鲁A12345"]), ("鲁A1*", ["鲁A1%"]),
    ("*2345*", ["%2345%"]), ("鲁A?2345", ["鲁A_2345"]), ("  lu a 1 ", ["LUA1"])])
def test_wildcards_become_like_patterns_and_text_is_normalised(plate, patterns):
    assert like_patterns(search(plate)) == patterns


def test_any_one_character_wrong_allows_each_position_in_turn():
    assert like_patterns(search("AB12", one_wrong=True)) == ["AB1_", "AB_2", "A_12", "_B12"]


@pytest.mark.parametrize("kwargs,field", [
    ({"reason": "  "}, "reason"), ({"reason": "why"}, "reason"), ({"case": ""}, "case_number"),
    ({"plate": "**"}, "plate"), ({"plate": "···"}, "plate"),
    ({"plate": "AB*", "one_wrong": True}, "plate"),
    ({"until": T0}, "until"), ({"since": T0 - MAX_RANGE - timedelta(days=1)}, "since")])
def test_a_search_without_what_it_must_carry_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(SearchError, match=f"^{field}:"):
        search(**kwargs)


def test_the_checkpoint_is_optional_and_trimmed():
    assert search(checkpoint="  ").checkpoint_id is None
    assert search(checkpoint=" jinan-1 ").checkpoint_id == "jinan-1"


def test_a_trace_is_in_time_order_with_the_time_since_the_last_stop():
    rows = [{"checkpoint_id": c, "last_seen": T0 + timedelta(minutes=m), "camera_id": "c1",
             "direction": "inbound", "plate": "鲁A12345"} for c, m in (("b", 25), ("a", 0))]
    stops = stops_of(rows)
    assert [s.checkpoint_id for s in stops] == ["a", "b"]
    assert [s.since_previous_s for s in stops] == [None, 1500.0]
    assert duration(1500.0) == "25 min 00 s" and duration(3 * 3600 + 61) == "3 h 01 min"
    assert duration(None) == "—"


def test_the_map_keeps_north_up_and_fits_the_box():
    points = layout({"north": Place(lat=36.8, lon=117.0), "south": Place(lat=36.5, lon=117.0),
                     "east": Place(lat=36.65, lon=117.3)}, width=640, height=420, margin=60)
    assert points["north"][1] < points["south"][1] and points["east"][0] > points["north"][0]
    assert all(60 <= x <= 580 and 60 <= y <= 360 for x, y in points.values())
    assert layout({}) == {}
