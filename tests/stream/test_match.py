from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.match import (
    MatchPolicy, WatchlistIndex, compile_pattern, deletions, difference, explain, fold, rank,
)
from stream.wire import WatchlistEntry

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def entry(entry_id: str, plate: str | None = None, pattern: str | None = None, **kw) -> WatchlistEntry:
    return WatchlistEntry(entry_id=entry_id, list=kw.pop("list", "stolen"), plate=plate,
                          pattern=pattern, category="stolen vehicle", priority=kw.pop("priority", 2),
                          disposal="stop", created_by="t", **kw)


def index(*entries: WatchlistEntry, **kw) -> WatchlistIndex:
    idx = WatchlistIndex(**kw)
    for e in entries:
        idx.upsert(e)
    return idx


def best(plate: str) -> list[tuple[str, str]]:
    return [(plate, "best")]


def ids(matches) -> list[str]:
    return [m.entry.entry_id for m in matches]


# --- exact, region, validity, updates --------------------------------------------------------

def test_exact_match_on_the_normalised_plate():
    idx = index(entry("e1", "KA482BC"), entry("e2", "BMX4473"))
    (m,) = idx.match(best("ka 482-bc"), None, NOW)
    assert m.entry.entry_id == "e1"
    assert (m.explanation.type, m.explanation.read, m.explanation.read_source) == \
        ("exact", "KA482BC", "best")
    assert idx.match(best("KA482B"), None, NOW) == []


def test_region_must_agree_when_both_are_known():
    idx = index(entry("eu", "KA482BC", region="eu"), entry("any", "KA482BC"))
    assert sorted(ids(idx.match(best("KA482BC"), "eu", NOW))) == ["any", "eu"]
    assert ids(idx.match(best("KA482BC"), "br", NOW)) == ["any"]
    assert sorted(ids(idx.match(best("KA482BC"), None, NOW))) == ["any", "eu"]


def test_entries_outside_their_validity_do_not_match():
    idx = index(entry("old", "KA482BC", valid_until=NOW - timedelta(days=1)),
                entry("future", "KA482BC", valid_from=NOW + timedelta(hours=1)),
                entry("live", "KA482BC", valid_from=NOW - timedelta(days=1)))
    assert ids(idx.match(best("KA482BC"), None, NOW)) == ["live"]


def test_update_and_remove_take_effect():
    idx = index(entry("e1", "KA482BC"))
    idx.upsert(entry("e1", "BMX4473"))
    assert idx.match(best("KA482BC"), None, NOW) == []
    assert ids(idx.match(best("BMX4473"), None, NOW)) == ["e1"]
    idx.remove("e1")
    assert idx.match(best("BMX4473"), None, NOW) == [] and len(idx) == 0
    idx.remove("never-there")  # deleting twice (tombstone replay) is harmless


# --- fuzzy ------------------------------------------------------------------------------------

def test_one_confusion_is_a_fuzzy_match_that_names_the_position():
    idx = index(entry("e1", "KA482BC"))
    (m,) = idx.match(best("KA4B2BC"), None, NOW)  # 8 read as B
    assert (m.explanation.type, m.explanation.differing_positions) == ("fuzzy", [3])
    assert idx.match(best("KA4B2B0"), None, NOW) == []  # two confusions: not by default
    assert idx.match(best("KA472BC"), None, NOW) == []  # 8→7 is no OCR confusion


def test_policy_per_list():
    idx = index(entry("strict", "KA482BC", list="control"), entry("loose", "KA482BC"),
                policies={"control": MatchPolicy(max_confusions=0)},
                default_policy=MatchPolicy(max_confusions=2, max_edits=1))
    assert ids(idx.match(best("KA4B2B0"), None, NOW)) == ["loose"]
    assert ids(idx.match(best("KA4B2B"), None, NOW)) == ["loose"]  # + one deletion
    assert sorted(ids(idx.match(best("KA482BC"), None, NOW))) == ["loose", "strict"]


def test_short_plates_match_only_exactly():
    idx = index(entry("short", "AB12"))
    assert idx.match(best("AB1Z"), None, NOW) == []
    assert ids(idx.match(best("AB12"), None, NOW)) == ["short"]


def test_alternative_reads_are_tried_and_the_best_explanation_wins():
    idx = index(entry("e1", "KA482BC"))
    (m,) = idx.match([("KA4B2BC", "best"), ("KA482BC", "alternative")], None, NOW)
    assert (m.explanation.type, m.explanation.read_source) == ("exact", "alternative")
    (m,) = idx.match([("XX000XX", "best"), ("KA4B2BC", "alternative")], None, NOW)
    assert (m.explanation.type, m.explanation.read, m.explanation.read_source) == \
        ("fuzzy", "KA4B2BC", "alternative")


def test_difference_and_fold():
    assert fold("0ODQ1IL2Z5S8B6G7T") == "00001112255886677"
    d = difference("KA482BC", "KA4B2BX")
    assert (d.confusions, d.others, d.positions) == ((3,), (6,), [3, 6])
    assert deletions("ABC", 1) == {"ABC", "BC", "AC", "AB"}
    assert explain("KA482BC", "KA482BC", "best", MatchPolicy()).type == "exact"


# --- patterns ---------------------------------------------------------------------------------

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
    matches = idx.match(best(plate), None, NOW)
    assert bool(matches) is hit
    if hit:
        assert matches[0].explanation.type == "pattern"


def test_bad_regex_is_rejected_with_a_reason():
    with pytest.raises(ValueError, match="neither a wildcard nor a valid regex"):
        compile_pattern("KA(482")
    idx = index(entry("e1", "KA482BC"))
    with pytest.raises(ValueError):
        idx.upsert(entry("e1", pattern="KA(482"))
    assert ids(idx.match(best("KA482BC"), None, NOW)) == ["e1"]  # the failed update changed nothing


def test_matches_are_ordered_by_priority_then_explanation():
    idx = index(entry("low", "KA482BC", priority=3), entry("pat", pattern="KA*", priority=1),
                entry("high", "KA482BC", priority=1))
    assert ids(idx.match(best("KA482BC"), None, NOW)) == ["high", "pat", "low"]


# --- the index agrees with a brute-force matcher ----------------------------------------------

ALPHABET = "0ODQ1IL8B5SKAX"  # few letters, many confusions: collisions are the interesting case
PLATES = st.text(ALPHABET, min_size=3, max_size=8)
POLICIES = st.builds(MatchPolicy, max_confusions=st.integers(0, 2), max_edits=st.integers(0, 2),
                     min_fuzzy_length=st.integers(3, 6))


def brute_force(entries, reads, region, policies, default):
    """Every entry against every read, no index: the reference the index must agree with."""
    found = {}
    for e in entries:
        for read, source in reads:
            why = explain(e.plate, read, source, policies.get(e.list, default))
            if why is None or not e.active_at(NOW) or (e.region and region and e.region != region):
                continue
            if e.entry_id not in found or rank(why) < rank(found[e.entry_id]):
                found[e.entry_id] = why
    return found


@settings(max_examples=300, deadline=None)
@given(plates=st.lists(PLATES, min_size=1, max_size=30),
       reads=st.lists(PLATES, min_size=1, max_size=3),
       lists=st.lists(st.sampled_from(["a", "b"]), min_size=30, max_size=30),
       regions=st.lists(st.sampled_from([None, "eu", "br"]), min_size=30, max_size=30),
       read_region=st.sampled_from([None, "eu"]),
       policy_a=POLICIES, default=POLICIES)
def test_index_agrees_with_brute_force(plates, reads, lists, regions, read_region, policy_a, default):
    entries = [entry(f"e{i}", p, list=lists[i], region=regions[i]) for i, p in enumerate(plates)]
    policies = {"a": policy_a}
    idx = index(*entries, policies=policies, default_policy=default)
    sources = [(r, "best" if i == 0 else "alternative") for i, r in enumerate(reads)]
    got = {m.entry.entry_id: m.explanation for m in idx.match(sources, read_region, NOW)}
    assert got == brute_force(entries, sources, read_region, policies, default)


# --- person entries (subject tags) ------------------------------------------------------------

TAG_A, TAG_B = "a" * 32, "b" * 32


def test_person_entries_match_only_their_tag_under_their_key():
    idx = index(entry("p1", subject_tag=TAG_A, key_id="k1", priority=3),
                entry("p2", subject_tag=TAG_A, key_id="k1", priority=1),
                entry("p3", subject_tag=TAG_A, key_id="k2"),
                entry("p4", subject_tag=TAG_B, key_id="k1",
                      valid_until=NOW - timedelta(seconds=1)),
                entry("v1", "KA482BC"))
    assert ids(idx.match_subject(TAG_A, "k1", NOW)) == ["p2", "p1"]  # most urgent first
    (m, _) = idx.match_subject(TAG_A, "k1", NOW)
    assert m.explanation.type == "exact" and m.explanation.read == TAG_A
    assert ids(idx.match_subject(TAG_A, "k2", NOW)) == ["p3"]
    assert idx.match_subject(TAG_A, None, NOW) == []   # a tag under an unknown key is not that tag
    assert idx.match_subject(TAG_B, "k1", NOW) == []   # expired
    assert idx.match(best(TAG_A), None, NOW) == []     # a plate read never hits a person entry
    idx.remove("p2")
    assert ids(idx.match_subject(TAG_A, "k1", NOW)) == ["p1"]
    idx.upsert(entry("p1", subject_tag=TAG_B, key_id="k1"))
    assert idx.match_subject(TAG_A, "k1", NOW) == [] and len(idx) == 4


WILDCARDS = st.text(alphabet="AB12*?", min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(st.one_of(WILDCARDS, st.sampled_from([r"A\d+", r"[AB]{2}.*"])),
                         min_size=1, max_size=20),
       reads=st.lists(st.text(alphabet="AB12", min_size=1, max_size=6), min_size=1, max_size=3),
       removed=st.sets(st.integers(0, 19)))
def test_pattern_prefix_index_agrees_with_trying_every_pattern(patterns, reads, removed):
    entries = [entry(f"p{i}", pattern=p) for i, p in enumerate(patterns)]
    idx = index(*entries)
    for i in removed & set(range(len(entries))):
        idx.remove(f"p{i}")
    live = [e for i, e in enumerate(entries) if i not in removed]
    sources = [(r, "best") for r in reads]
    expected = {e.entry_id for e in live
                if any(compile_pattern(e.pattern).fullmatch(r) for r in reads)}
    assert {m.entry.entry_id for m in idx.match(sources, None, NOW)} == expected
