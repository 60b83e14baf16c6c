"""What the stream and the console send: watchlist entries, alerts, status alerts, dead letters.

The events they read from the edge are in ``checkpoint.wire.edge``; the base all events share
is ``checkpoint.wire.base``.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from checkpoint.wire.base import SCHEMA_VERSION, Event, StrictModel, decode
from checkpoint.wire.edge import Evidence

#: Namespace for deterministic alert ids (uuid5 of entry id and source event id).
_ALERT_NAMESPACE = uuid.UUID("5b0f5a52-6b61-6b6f-7500-616c65727473")


def alert_id_for(entry_id: str, source_event_id: str) -> str:
    """Deterministic alert id, so a replayed passage can never raise a second alert."""
    return str(uuid.uuid5(_ALERT_NAMESPACE, f"{entry_id}|{source_event_id}"))


class WatchlistEntry(Event):
    """A key vehicle (``plate`` or ``pattern``) or a key person (``subject_tag``, the pseudonym
    of a document number under ``key_id``: person lists never hold the number itself)."""

    entry_id: str = Field(min_length=1, max_length=128)
    list: str = Field(min_length=1)
    plate: str | None = Field(default=None, min_length=1)
    pattern: str | None = Field(default=None, min_length=1)
    subject_tag: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    key_id: str | None = Field(default=None, min_length=1)
    region: str | None = None
    category: str = Field(min_length=1)
    priority: int = Field(ge=1, le=5, description="1 is most urgent")
    disposal: str = Field(min_length=1, description="recommended action for the officers")
    reason: str = ""
    case_number: str | None = None
    source: str = ""
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    last_verified: AwareDatetime | None = None
    created_by: str = Field(min_length=1)

    def model_post_init(self, _context: object) -> None:
        if sum(v is not None for v in (self.plate, self.pattern, self.subject_tag)) != 1:
            raise ValueError("exactly one of plate, pattern or subject_tag must be set")
        if (self.subject_tag is None) != (self.key_id is None):
            raise ValueError("a subject_tag needs its key_id, and only a subject_tag has one")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")

    def active_at(self, when: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (
            self.valid_until is None or when < self.valid_until
        )


class AlertState(StrEnum):
    """Where an alert stands in the control room's workflow (``stream.console.workflow``):
    new -> acknowledged -> confirmed (after a verification) or rejected (with a reason: a
    misread, the wrong region, an entry no longer active, a duplicate ...) -> dispatched ->
    disposed (with an outcome)."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    DISPOSED = "disposed"


class MatchExplanation(StrictModel):
    type: Literal["exact", "fuzzy", "pattern"]
    read: str = Field(description="the read that matched: the best plate or an alternative")
    read_source: Literal["best", "alternative"] = "best"
    differing_positions: list[int] = Field(default_factory=list)


class AlertAction(StrictModel):
    """One step of an alert's history; the fields after ``note`` belong to the step named."""

    who: str
    when: AwareDatetime
    what: str
    note: str = ""
    checks: dict[str, bool] | None = Field(
        default=None, description="verified: each check of the evidence against the entry")
    reason: str | None = Field(default=None, description="rejected: why")
    unit: str | None = Field(default=None, description="dispatched: to whom")
    outcome: str | None = Field(default=None, description="disposed: how it ended")


class Alert(Event):
    """A watchlist hit the control room must act on (kind "watchlist" on kakou.alerts)."""

    kind: Literal["watchlist"] = "watchlist"
    alert_id: str = Field(min_length=1)
    raised_at: AwareDatetime
    checkpoint_id: str
    camera_id: str | None = Field(default=None, description="the camera that read the plate")
    passage_id: str | None = None
    idcheck_id: str | None = None
    plate: str | None = None
    entry: WatchlistEntry
    match: MatchExplanation
    priority: int = Field(ge=1, le=5)
    disposal: str
    evidence: Evidence = Field(default_factory=Evidence)
    state: AlertState = AlertState.NEW
    history: list[AlertAction] = Field(default_factory=list)


class FlowFigures(StrictModel):
    """The window a flow warning is about: how many vehicles passed against the threshold."""

    window: Literal["1m", "1h"]
    window_start: AwareDatetime
    vehicles: int = Field(ge=0)
    threshold: int = Field(ge=1)


class StatusAlert(Event):
    """The checkpoints' own state, on kakou.alerts beside watchlist alerts: a box that stops
    reporting, a camera that fails, their recoveries (which close the earlier alert), and a
    checkpoint whose traffic exceeds its configured flow (``flow`` says which window)."""

    kind: Literal["checkpoint-offline", "checkpoint-online", "camera-degraded",
                  "camera-recovered", "flow-warning"]
    alert_id: str = Field(min_length=1)
    raised_at: AwareDatetime
    checkpoint_id: str
    camera_id: str | None = None
    detail: str
    flow: FlowFigures | None = None


def decode_alert(raw: bytes | None) -> Alert | StatusAlert:
    """A message of kakou.alerts, whichever kind it is (no ``kind``: a watchlist alert)."""
    try:
        kind = json.loads(raw).get("kind", "watchlist") if raw is not None else None
    except (ValueError, AttributeError):
        kind = "watchlist"  # let the model say what is wrong with it
    return decode(Alert if kind in (None, "watchlist") else StatusAlert, raw)


class DeadLetter(StrictModel):
    """What the stream could not use, with why and where it came from. The original bytes are
    kept whole (base64) when they fit in a dead letter; a key or value too large to carry is
    named by its size and SHA-256 instead, and stays at its source topic, partition and offset
    for as long as that topic keeps it."""

    schema_version: Literal[1] = SCHEMA_VERSION
    source_topic: str
    source_partition: int
    source_offset: int
    key_b64: str | None
    value_b64: str | None
    key_bytes: int | None = Field(default=None, ge=0)
    value_bytes: int | None = Field(default=None, ge=0)
    key_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    value_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    error: str
    failed_at: AwareDatetime
