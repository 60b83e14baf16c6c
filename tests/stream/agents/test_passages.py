"""Passages → matches → alerts, traces and flow warnings, on a fake state and outbox."""
import asyncio
from datetime import datetime, timedelta, timezone

from checkpoint.wire.edge import PlateAlternative, VehiclePassage
from stream.agents.passages import handle_passages, match_passage
from stream.app import app
from stream.config import StreamConfig
from stream.wire import StatusAlert, WatchlistEntry, alert_id_for
from tests.stream.fakes import runtime

#: An hour ago, on the hour: inside the history's window whenever the tests run.
T0 = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
STOLEN = WatchlistEntry(entry_id="s1", list="stolen", plate="KA482BC", category="stolen vehicle",
                        priority=1, disposal="stop", created_by="t")


def passage(plate: str, seconds: float = 0, checkpoint_id: str = "cp", **extra) -> VehiclePassage:
    seen = T0 + timedelta(seconds=seconds)
    return VehiclePassage(checkpoint_id=checkpoint_id, lane="1", camera_id="c1", first_seen=seen,
                          last_seen=seen, plate=plate, plate_confidence=0.9, dwell_seconds=2.0,
                          **extra)


def test_importing_the_agents_connects_to_nothing():
    assert not hasattr(app, "runtime")   # built when a worker starts, never at import


def test_a_hit_raises_one_alert_with_a_trace_and_the_rest_are_only_recorded():
    rt = runtime(entries=[STOLEN])
    hit, other = passage("KA482BC"), passage("ZZ999ZZ", 1)
    asyncio.run(handle_passages(rt, [hit, other]))
    (alert,) = rt.outbox.alerts
    assert alert.alert_id == alert_id_for("s1", hit.event_id) and alert.match.type == "exact"
    assert rt.state.alerts[alert.alert_id] == alert
    assert [p.event_id for p in rt.state.traces["KA482BC"]] == [hit.event_id]
    assert set(rt.state.passages) == {hit.event_id, other.event_id}
    escalate_at = rt.state.escalate_at[alert.alert_id]
    assert escalate_at == alert.raised_at.timestamp() + rt.config.escalate_after_s[1]


def test_a_replayed_batch_raises_nothing_twice():
    rt = runtime(entries=[STOLEN])
    batch = [passage("KA482BC")]
    asyncio.run(handle_passages(rt, batch))
    asyncio.run(handle_passages(rt, batch))
    assert len(rt.outbox.alerts) == 1 and rt.state.stats["passages"] == 1
    assert rt.state.stats["duplicates"] == 1


def test_a_passage_older_than_the_history_keeps_is_not_stored_but_counted_in_the_flow():
    rt = runtime()
    late = passage("ZZ999ZZ", -80 * 3600)        # a box offline for days sends it now
    asyncio.run(handle_passages(rt, [late]))
    asyncio.run(handle_passages(rt, [late]))     # and again: its counted mark stops a second count
    assert late.event_id not in rt.history.passages
    assert rt.state.stats["passages"] == 1


def test_a_later_passage_of_the_same_visit_is_attached_not_alerted_again():
    rt = runtime(entries=[STOLEN])
    first, again = passage("KA482BC"), passage("KA482BC", 30)
    asyncio.run(handle_passages(rt, [first]))
    asyncio.run(handle_passages(rt, [again]))
    (alert,) = rt.outbox.alerts
    assert rt.state.attached[alert.alert_id] == {again.event_id}


def test_an_alternative_read_matches_and_says_so():
    rt = runtime(entries=[STOLEN])
    misread = passage("KA482B6", alternatives=[PlateAlternative(text="KA482BC", confidence=0.3)])
    assert [m.explanation.read_source for m in match_passage(rt.watchlist, misread)] == \
        ["alternative"]
    asyncio.run(handle_passages(rt, [misread]))
    assert rt.outbox.alerts[0].match.read_source == "alternative"


def test_a_window_over_its_threshold_warns_once():
    config = StreamConfig.model_validate({"checkpoints": {"cp": {"flow_warning": {"1m": 2}}}})
    rt = runtime(config)
    asyncio.run(handle_passages(rt, [passage(f"KA{i:03d}BC", i) for i in range(5)]))
    warnings = [a for a in rt.outbox.alerts if isinstance(a, StatusAlert)]
    assert [w.kind for w in warnings] == ["flow-warning"]
    assert warnings[0].flow.vehicles == 3 and warnings[0].flow.threshold == 2
    asyncio.run(handle_passages(rt, [passage("KA999BC", 10)]))
    assert len([a for a in rt.outbox.alerts if isinstance(a, StatusAlert)]) == 1


def test_an_empty_batch_touches_nothing():
    rt = runtime(entries=[STOLEN])
    asyncio.run(handle_passages(rt, []))
    assert rt.outbox.alerts == [] and rt.state.passages == {}


def test_every_passage_goes_to_the_history_and_hits_are_kept_by_their_longest_list():
    wanted = WatchlistEntry(entry_id="w1", list="wanted", plate="KA482BC", category="wanted",
                            priority=1, disposal="stop", created_by="t")
    config = StreamConfig.model_validate({"default_hit_retention_days": 30,
                                          "hit_retention_days": {"wanted": 3650}})
    rt = runtime(config, entries=[STOLEN, wanted])
    hit, other = passage("KA482BC"), passage("ZZ999ZZ", 1)
    asyncio.run(handle_passages(rt, [hit, other]))
    assert set(rt.history.passages) == {hit.event_id, other.event_id}
    kept = rt.history.kept[hit.event_id]
    assert kept.lists == ("stolen", "wanted")
    assert kept.keep_until == hit.last_seen + timedelta(days=3650)
    assert other.event_id not in rt.history.kept
