"""Event contracts shared by the edge, the stream and the console (see shared/design.md).

Every event is UTF-8 JSON with a ``schema_version`` and a globally unique, time-ordered
``event_id`` (UUIDv7), so consumers can de-duplicate across retries and restarts. Models are
strict about unknown fields: a producer that drifts from the contract is caught at the consumer
and dead-lettered instead of being half-understood.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

import uuid6
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION = 1
T = TypeVar("T", bound=BaseModel)

__all__ = [
    "SCHEMA_VERSION", "Alert", "AlertAction", "AlertState", "CameraStatus", "DeadLetter",
    "FlowFigures", "Heartbeat", "IdCheck", "MatchExplanation", "PlateAlternative", "StatusAlert",
    "VehiclePassage", "decode_alert",
    "WatchlistEntry", "Evidence", "ContractError", "decode", "encode", "new_event_id", "utcnow",
    "alert_id_for",
]

#: Namespace for deterministic alert ids (uuid5 of entry id and source event id).
_ALERT_NAMESPACE = uuid.UUID("5b0f5a52-6b61-6b6f-7500-616c65727473")


def new_event_id() -> str:
    """A UUIDv7: globally unique and sortable by creation time."""
    return str(uuid6.uuid7())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def alert_id_for(entry_id: str, source_event_id: str) -> str:
    """Deterministic alert id, so a replayed passage can never raise a second alert."""
    return str(uuid.uuid5(_ALERT_NAMESPACE, f"{entry_id}|{source_event_id}"))


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: str = Field(default_factory=new_event_id, min_length=1)


Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
Point = tuple[float, float]


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    UNKNOWN = "unknown"


class PlateAlternative(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str = Field(min_length=1)
    confidence: Confidence


class Evidence(BaseModel):
    """Plate crop inline (small, JPEG base64); the scene image stays on the box, by reference."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    plate_jpeg_b64: str | None = None
    scene_ref: str | None = None


class VehiclePassage(_Event):
    checkpoint_id: str = Field(min_length=1)
    lane: str
    camera_id: str = Field(min_length=1)
    direction: Direction = Direction.UNKNOWN
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    plate: str = Field(min_length=1, max_length=16)
    region: str | None = None
    plate_confidence: Confidence
    alternatives: list[PlateAlternative] = Field(default_factory=list)
    char_confidences: list[Confidence] = Field(default_factory=list)
    plate_box: tuple[float, float, float, float] | None = None
    plate_corners: list[Point] | None = None
    evidence: Evidence = Field(default_factory=Evidence)
    dwell_seconds: float = Field(ge=0.0)


class DocumentType(StrEnum):
    CN_RESIDENT_ID = "cn-resident-id"
    ICAO_TD1 = "icao-td1"
    ICAO_TD2 = "icao-td2"
    ICAO_TD3 = "icao-td3"


class Verdict(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    EXPIRED = "expired"
    UNREADABLE = "unreadable"


class IdCheck(_Event):
    """A verified ID document, pseudonymised on the box: no name, number, MRZ or image, ever."""

    checkpoint_id: str = Field(min_length=1)
    lane: str
    passage_id: str | None = None
    time: AwareDatetime
    document_type: DocumentType
    issuing_state: str | None = Field(default=None, min_length=3, max_length=3)
    verdict: Verdict
    checks: dict[str, Literal["pass", "fail"]] = Field(default_factory=dict)
    subject_tag: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    key_id: str | None = None


class CameraStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    camera_id: str
    state: Literal["starting", "running", "reconnecting", "failed", "finished"] = "running"
    fps_in: float = Field(default=0.0, ge=0.0)
    fps_out: float = Field(default=0.0, ge=0.0)
    last_frame_time: AwareDatetime | None = None
    dropped_frames: int = Field(default=0, ge=0)
    errors: int = Field(default=0, ge=0)
    last_error: str | None = None


class Heartbeat(_Event):
    checkpoint_id: str = Field(min_length=1)
    time: AwareDatetime
    cameras: list[CameraStatus] = Field(default_factory=list)
    spool_depth: int = Field(ge=0)


class WatchlistEntry(_Event):
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
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    CONFIRMED = "confirmed"
    REJECTED_MISREAD = "rejected-misread"
    DISPATCHED = "dispatched"
    DISPOSED = "disposed"


class MatchExplanation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["exact", "fuzzy", "pattern"]
    read: str = Field(description="the read that matched: the best plate or an alternative")
    read_source: Literal["best", "alternative"] = "best"
    differing_positions: list[int] = Field(default_factory=list)


class AlertAction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    who: str
    when: AwareDatetime
    what: str
    note: str = ""


class Alert(_Event):
    """A watchlist hit the control room must act on (kind "watchlist" on kakou.alerts)."""

    kind: Literal["watchlist"] = "watchlist"
    alert_id: str = Field(min_length=1)
    raised_at: AwareDatetime
    checkpoint_id: str
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


class FlowFigures(BaseModel):
    """The window a flow warning is about: how many vehicles passed against the threshold."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window: Literal["1m", "1h"]
    window_start: AwareDatetime
    vehicles: int = Field(ge=0)
    threshold: int = Field(ge=1)


class StatusAlert(_Event):
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
    """A message of kakou.alerts, whichever kind it is (no ``kind``: a watchlist alert, as
    written before status alerts shared the topic)."""
    try:
        kind = json.loads(raw).get("kind", "watchlist") if raw is not None else None
    except (ValueError, AttributeError):
        kind = "watchlist"  # let the model say what is wrong with it
    return decode(Alert if kind in (None, "watchlist") else StatusAlert, raw)


class DeadLetter(BaseModel):
    """What the stream could not use, with why and where it came from; the bytes are kept whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1] = SCHEMA_VERSION
    source_topic: str
    source_partition: int
    source_offset: int
    key_b64: str | None
    value_b64: str | None
    error: str
    failed_at: AwareDatetime


class ContractError(ValueError):
    """A message that is not valid JSON or violates its contract; ``str()`` says why."""


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode("utf-8")


def validation_problems(exc: ValidationError, root: str = "<root>") -> list[str]:
    """Each validation error as ``key.path: message``, the form every kakou error message uses."""
    return [f"{'.'.join(str(p) for p in e['loc']) or root}: {e['msg']}" for e in exc.errors()]


def decode(model: type[T], raw: bytes | None) -> T:
    """Parse and validate one wire message, raising ContractError with a readable reason."""
    if raw is None:
        raise ContractError("empty message (null value)")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc))
        raise ContractError(f"{model.__name__} invalid: {problems}") from None
