"""Alerts out: raise a watchlist alert once, attach a later passage of the same visit to it,
escalate it while nobody acknowledges it, and publish status alerts.

Each alert event goes to kakou.alerts first (acknowledged), then its state to Redis and to live
consoles; a crash in between sends it again, and consumers drop the duplicate by event id.
"""
from __future__ import annotations

import logging

from checkpoint.wire.base import new_event_id, utcnow
from stream.runtime import Runtime
from stream.wire import Alert, AlertAction, AlertState, StatusAlert

log = logging.getLogger("kakou.stream")


async def raise_alert(rt: Runtime, alert: Alert) -> bool:
    """Publish and record an alert unless it exists already; True when it is new."""
    if await rt.state.alert_exists(alert.alert_id):
        return False
    await rt.outbox.send_alert(alert)
    escalate_at = alert.raised_at.timestamp() + rt.config.escalate_after_s[alert.priority]
    await rt.state.record_new_alert(alert, escalate_at)
    log.info("ALERT %s: %s at %s hits %s/%s (%s), priority %d: %s", alert.alert_id,
             f"plate {alert.plate}" if alert.plate else "ID check", alert.checkpoint_id,
             alert.entry.list, alert.entry.entry_id, alert.match.type, alert.priority,
             alert.disposal)
    return True


async def earlier_alert_of_visit(rt: Runtime, alert: Alert) -> str | None:
    """The alert already raised for this (entry, plate, checkpoint) within the cool-down, if any.

    The first alert of a visit claims it; a replay of the same passage finds its own id there
    and is raised (idempotently) again, so a crash between claim and raise loses nothing.
    """
    if rt.config.alert_cooldown_s <= 0:
        return None
    return await rt.state.visit_holder(alert.entry.entry_id,
                                       alert.plate or alert.match.read,  # a person: their tag
                                       alert.checkpoint_id, alert.alert_id,
                                       int(rt.config.alert_cooldown_s))


async def raise_or_attach(rt: Runtime, alert: Alert, source_event_id: str) -> None:
    """Raise the alert, or, within the cool-down of an earlier one for the same (entry, plate or
    person, checkpoint), attach the event to that alert: one alert per checkpoint visit."""
    earlier = await earlier_alert_of_visit(rt, alert)
    if earlier is None:
        await raise_alert(rt, alert)
    else:
        await rt.state.attach_to_alert(earlier, source_event_id)


async def publish_status(rt: Runtime, alert: StatusAlert) -> None:
    await rt.outbox.send_alert(alert)
    await rt.state.record_status_alert(alert)
    log.warning("STATUS %s %s %s: %s", alert.kind, alert.checkpoint_id, alert.camera_id or "",
                alert.detail)


async def escalate(rt: Runtime, alert_id: str, now: float) -> bool:
    """Escalate one due alert if it is still 'new'; True when an escalation went out.

    The alert's lock keeps other workers and operators off it meanwhile (an acknowledgement is
    never overwritten by an escalation); the alert leaves the schedule only after its
    escalation is out, so a crash re-escalates rather than loses it.
    """
    token = await rt.state.lock_alert(alert_id)
    if token is None:
        return False  # held: an operator is acting on it, or another worker escalates it
    try:
        return await _escalate_locked(rt, alert_id, now)
    finally:
        await rt.state.unlock_alert(alert_id, token)


async def _escalate_locked(rt: Runtime, alert_id: str, now: float) -> bool:
    if not await rt.state.escalation_due(alert_id, now):
        return False  # another worker escalated it between our look at the schedule and now
    alert = await rt.state.alert(alert_id)
    sent = False
    if alert is not None and alert.state == AlertState.NEW:
        waited = now - alert.raised_at.timestamp()
        action = AlertAction(who="kakou-stream", when=utcnow(), what="escalated",
                             note=f"not acknowledged {waited:.0f} s after it was raised "
                                  f"(priority {alert.priority})")
        escalated = alert.model_copy(update={"event_id": new_event_id(),
                                             "history": [*alert.history, action]})
        await rt.outbox.send_alert(escalated)
        await rt.state.record_alert_update(escalated, "escalations")
        log.warning("ESCALATED %s: plate %s at %s, %s", alert_id, alert.plate,
                    alert.checkpoint_id, action.note)
        sent = True
    await rt.state.unschedule_escalation(alert_id)
    return sent


async def escalate_due(rt: Runtime, now: float) -> int:
    """Escalate every alert due by ``now`` (a hundred at a time); how many went out."""
    return sum([await escalate(rt, alert_id, now)
                for alert_id in await rt.state.due_escalations(now)])
