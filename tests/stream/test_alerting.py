"""Alerts out: escalation of unacknowledged alerts, once, on a fake state and outbox."""
import asyncio
from datetime import datetime, timezone

from checkpoint.wire.base import utcnow
from stream.alerting import escalate, escalate_due, raise_alert
from stream.config import StreamConfig
from stream.wire import Alert, AlertState, MatchExplanation, WatchlistEntry
from tests.stream.fakes import runtime

ENTRY = WatchlistEntry(entry_id="s1", list="stolen", plate="KA482BC", category="stolen vehicle",
                       priority=5, disposal="stop", created_by="t")


def alert(alert_id: str = "a1", state: AlertState = AlertState.NEW) -> Alert:
    return Alert(alert_id=alert_id, raised_at=utcnow(), checkpoint_id="cp", plate="KA482BC",
                 entry=ENTRY, match=MatchExplanation(type="exact", read="KA482BC"), priority=5,
                 disposal="stop", state=state)


def test_an_alert_still_new_when_due_is_escalated_once():
    rt = runtime(StreamConfig.model_validate({"escalate_after_s": {1: 1, 2: 1, 3: 1, 4: 1, 5: 0}}))
    assert asyncio.run(raise_alert(rt, alert()))
    assert not asyncio.run(raise_alert(rt, alert()))          # exists already
    assert asyncio.run(escalate_due(rt, datetime.now(timezone.utc).timestamp() + 1)) == 1
    assert asyncio.run(escalate_due(rt, datetime.now(timezone.utc).timestamp() + 1)) == 0
    raised, escalated = rt.outbox.alerts
    assert escalated.alert_id == raised.alert_id and escalated.event_id != raised.event_id
    assert [a.what for a in escalated.history] == ["escalated"]
    assert rt.state.stats["escalations"] == 1 and rt.state.escalate_at == {}


def test_an_acknowledged_alert_leaves_the_schedule_without_escalating():
    rt = runtime()
    rt.state.alerts["a2"] = alert("a2", AlertState.ACKNOWLEDGED)
    rt.state.escalate_at["a2"] = 0.0
    assert not asyncio.run(escalate(rt, "a2", 10.0))
    assert rt.outbox.alerts == [] and rt.state.escalate_at == {}


def test_an_alert_another_worker_is_escalating_is_left_alone():
    rt = runtime()
    rt.state.alerts["a3"] = alert("a3")
    rt.state.escalate_at["a3"] = 0.0
    rt.state.locks.add("a3")
    assert not asyncio.run(escalate(rt, "a3", 10.0))
    assert rt.state.escalate_at == {"a3": 0.0}


def test_an_alert_another_worker_escalated_meanwhile_is_not_escalated_again():
    rt = runtime()
    rt.state.alerts["a4"] = alert("a4")   # still new, but no longer scheduled: it went out
    assert not asyncio.run(escalate(rt, "a4", 10.0))
    assert rt.outbox.alerts == [] and rt.state.locks == set()
