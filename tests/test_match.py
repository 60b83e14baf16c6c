from datetime import datetime, timedelta, timezone

import pytest

from checkpoint.contracts import WatchlistEntry
from stream.match import WatchlistIndex, compile_pattern

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def entry(entry_id: str, plate: str | None = None, pattern: str | None = None, **kw) -> WatchlistEntry:
    return WatchlistEntry(entry_id=entry_id, list=kw.pop("list", "stolen"), plate=plate,
                          pattern=pattern, category="stolen vehicle", priority=kw.pop("priority", 2),
                          disposal="stop", created_by="t", **kw)


def index(*entries: WatchlistEntry) -> WatchlistIndex:
    idx = WatchlistIndex()
    for e in entries:
        idx.upsert(e)
    return idx


def ids(matches) -> list[str]:
    return [m.entry.entry_id for m in matches]


def test_exact_match_on_the_normalised_plate():
    idx = index(entry("e1", "KA482BC"), entry("e2", "BMX4473"))
    (m,) = idx.match("ka 482-bc", None, NOW)
    assert m.entry.entry_id == "e1"
    assert (m.explanation.type, m.explanation.read, m.explanation.read_source) == \
        ("exact", "KA482BC", "best")
    assert idx.match("KA482B", None, NOW) == []


def test_region_must_agree_when_both_are_known():
    idx = index(entry("eu", "KA482BC", region="eu"), entry("any", "KA482BC"))
    assert ids(idx.match("KA482BC", "eu", NOW)) == ["any", "eu"]
    assert ids(idx.match("KA482BC", "br", NOW)) == ["any"]
    assert ids(idx.match("KA482BC", None, NOW)) == ["any", "eu"]


def test_entries_outside_their_validity_do_not_match():
    idx = index(entry("old", "KA482BC", valid_until=NOW - timedelta(days=1)),
                entry("future", "KA482BC", valid_from=NOW + timedelta(hours=1)),
                entry("live", "KA482BC", valid_from=NOW - timedelta(days=1)))
    assert ids(idx.match("KA482BC", None, NOW)) == ["live"]


def test_update_and_remove_take_effect():
    idx = index(entry("e1", "KA482BC"))
    idx.upsert(entry("e1", "BMX4473"))
    assert idx.match("KA482BC", None, NOW) == []
    assert ids(idx.match("BMX4473", None, NOW)) == ["e1"]
    idx.remove("e1")
    assert idx.match("BMX4473", None, NOW) == [] and len(idx) == 0
    idx.remove("never-there")  # deleting twice (tombstone replay) is harmless


@pytest.mark.parametrize("pattern, plate, hit", [
    ("KA*", "KA482BC", True),
    ("KA*", "XKA482", False),
    ("KA48?BC", "KA482BC", True),
    ("KA48?BC", "KA4822BC", False),
    ("ka 48*", "KA482BC", True),
    (r"[A-Z]{2}\d{3}BC", "KA482BC", True),
    (r"[A-Z]{2}\d{3}BC", "KA482BCX", False),   # a regex must match the whole plate
])
def test_patterns(pattern, plate, hit):
    idx = index(entry("p", pattern=pattern))
    matches = idx.match(plate, None, NOW)
    assert bool(matches) is hit
    if hit:
        assert matches[0].explanation.type == "pattern"


def test_bad_regex_is_rejected_with_a_reason():
    with pytest.raises(ValueError, match="neither a wildcard nor a valid regex"):
        compile_pattern("KA(482")
    idx = index(entry("e1", "KA482BC"))
    with pytest.raises(ValueError):
        idx.upsert(entry("e1", pattern="KA(482"))
    assert ids(idx.match("KA482BC", None, NOW)) == ["e1"]  # the failed update changed nothing


def test_matches_are_ordered_by_priority_then_exact_first():
    idx = index(entry("low", "KA482BC", priority=3), entry("pat", pattern="KA*", priority=1),
                entry("high", "KA482BC", priority=1))
    assert ids(idx.match("KA482BC", None, NOW)) == ["high", "pat", "low"]
