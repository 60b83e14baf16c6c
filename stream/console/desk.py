"""The alert desk: the open queue as the console shows it, and an operator's step carried out in
the order that keeps the record whole.

A step runs under the alert's lock (the one the stream's escalation takes too), against the
state the operator saw: of two operators acting at once, one wins and the other is told who
did what. The audit record is written first, then the update is published on kakou.alerts
(acknowledged), and only then does it take effect in Redis and reach the live consoles. A step
that fails part-way leaves an audit record of the attempt and the alert as it was.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import redis
from kafka import KafkaProducer
from kafka.errors import KafkaError

from checkpoint.wire.base import encode, utcnow
from checkpoint.wire.settings import kafka_bootstrap, kafka_security
from checkpoint.wire.topics import ALERTS, ensure_topics
from stream import keys
from stream.audit import AuditLog
from stream.console.workflow import CLOSED, Request, Step, WorkflowError, apply
from stream.state import ALERT_LOCK_S, RELEASE_LOCK, live
from stream.wire import Alert, AlertState, StatusAlert, decode_alert


class DeskError(RuntimeError):
    """A step not carried out; ``status`` is the HTTP status the console answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class AlertPublisher(Protocol):
    def publish(self, alert: Alert) -> None:
        """Return once kakou.alerts has acknowledged ``alert``; raise DeskError otherwise."""


class KafkaAlertPublisher:
    """Alert updates to kakou.alerts, keyed by alert id like the stream's own (one partition
    holds an alert's whole history, in order)."""

    def __init__(self, bootstrap: str | None = None, timeout_s: float = 10.0) -> None:
        self._bootstrap, self._timeout_s = bootstrap or kafka_bootstrap(), timeout_s
        self._producer: KafkaProducer | None = None

    def publish(self, alert: Alert) -> None:
        try:
            if self._producer is None:
                ensure_topics(self._bootstrap, (ALERTS,))
                self._producer = KafkaProducer(bootstrap_servers=self._bootstrap, acks="all",
                                               **kafka_security(),
                                               enable_idempotence=True,
                                               client_id="kakou-console")
            self._producer.send(ALERTS.name, key=alert.alert_id.encode(),
                                value=encode(alert)).get(timeout=self._timeout_s)
        except KafkaError as exc:
            raise DeskError(503, f"{ALERTS.name} did not acknowledge the update ({exc!r}); "
                                 "nothing changed, try again") from exc

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their name, and whether they may see covert lists' alerts."""

    username: str
    sees_covert: bool


class Desk:
    """Open alerts in Redis (a client with ``decode_responses=True``) and the steps on them."""

    def __init__(self, client: redis.Redis, audit: AuditLog, publisher: AlertPublisher, *,
                 covert_lists: tuple[str, ...] = (), lock_wait_s: float = 2.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._redis, self._audit, self._publisher = client, audit, publisher
        self._covert, self._lock_wait_s, self._clock = frozenset(covert_lists), lock_wait_s, clock
        self._release = client.register_script(RELEASE_LOCK)

    def visible(self, alert: Alert | StatusAlert, viewer: Viewer) -> bool:
        return (viewer.sees_covert or not isinstance(alert, Alert)
                or alert.entry.list not in self._covert)

    def open_alerts(self, viewer: Viewer) -> list[Alert]:
        """The whole open queue (none is left out, however long): most urgent priority first,
        then oldest first."""
        ids = self._redis.zrange(keys.OPEN_ALERTS, 0, -1)
        bodies = [body for start in range(0, len(ids), 1000)
                  for body in self._redis.mget([keys.ALERT_KEY.format(alert_id=i)
                                                for i in ids[start:start + 1000]])]
        alerts = [Alert.model_validate_json(b) for b in bodies if b is not None]
        return sorted((a for a in alerts if self.visible(a, viewer)),
                      key=lambda a: (a.priority, a.raised_at))

    def alert(self, alert_id: str, viewer: Viewer) -> Alert:
        body = self._redis.get(keys.ALERT_KEY.format(alert_id=alert_id))
        alert = None if body is None else Alert.model_validate_json(body)
        if alert is None or not self.visible(alert, viewer):
            raise DeskError(404, f"no alert {alert_id}")  # a covert alert is not there for you
        return alert

    def act(self, alert_id: str, request: Request, expected: AlertState,
            viewer: Viewer) -> Alert:
        """Take ``request`` on the alert, which the operator saw in state ``expected``."""
        token = self._lock(alert_id)
        try:
            alert = self.alert(alert_id, viewer)
            if alert.state != expected:
                last = alert.history[-1] if alert.history else None
                by = f" by {last.who} at {last.when:%H:%M:%S}" if last else ""
                raise DeskError(409, f"this alert is now {alert.state.value}{by}: another "
                                     "operator acted first; look again before acting")
            try:
                updated = apply(alert, request, viewer.username, self._clock())
            except WorkflowError as exc:
                raise DeskError(422, str(exc)) from None
            action = updated.history[-1]
            self._audit.append(viewer.username, f"alert.{request.step.value}", alert_id,
                               reason=action.reason or action.note or request.step.value,
                               details={"from": alert.state.value, "to": updated.state.value,
                                        "plate": alert.plate, "entry_id": alert.entry.entry_id,
                                        "list": alert.entry.list, "match": alert.match.type,
                                        **{k: v for k, v in (("checks", action.checks),
                                                             ("unit", action.unit),
                                                             ("outcome", action.outcome))
                                           if v is not None}})
            self._publisher.publish(updated)
            self._record(updated, request.step)
            return updated
        finally:
            self._release(keys=[keys.ALERT_LOCK.format(alert_id=alert_id)], args=[token])

    def _lock(self, alert_id: str) -> str:
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self._lock_wait_s
        key = keys.ALERT_LOCK.format(alert_id=alert_id)
        while not self._redis.set(key, token, nx=True, ex=ALERT_LOCK_S):
            if time.monotonic() > deadline:
                raise DeskError(409, "another operator (or an escalation) is changing this "
                                     "alert right now; look again in a moment")
            time.sleep(0.05)
        return token

    def _record(self, alert: Alert, step: Step) -> None:
        body = alert.model_dump_json()
        with self._redis.pipeline() as pipe:
            pipe.set(keys.ALERT_KEY.format(alert_id=alert.alert_id), body)
            if step == Step.ACKNOWLEDGE:
                pipe.zrem(keys.ESCALATE_AT, alert.alert_id)
            if alert.state in CLOSED:
                pipe.zrem(keys.OPEN_ALERTS, alert.alert_id)
            if alert.state == AlertState.REJECTED:
                reason = alert.history[-1].reason or ""
                pipe.hincrby(keys.REJECTS_BY_LIST.format(list=alert.entry.list), reason, 1)
                pipe.hincrby(keys.REJECTS_BY_CHECKPOINT.format(checkpoint_id=alert.checkpoint_id),
                             reason, 1)
                if alert.camera_id:
                    pipe.hincrby(keys.REJECTS_BY_CAMERA.format(
                        checkpoint_id=alert.checkpoint_id), f"{alert.camera_id}|{reason}", 1)
            live(pipe, body)
            pipe.execute()


def parse_live(fields: dict[str, str]) -> Alert | StatusAlert:
    """One entry of the live stream."""
    return decode_alert(fields["alert"].encode())
