"""What an edge box sends: vehicle passages, ID checks and heartbeats.

The stream reads these; the events the stream and the console send are in ``stream.wire``.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from checkpoint.wire.base import Confidence, Event, StrictModel

Point = tuple[float, float]


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    UNKNOWN = "unknown"


class PlateAlternative(StrictModel):
    text: str = Field(min_length=1)
    confidence: Confidence


class Evidence(StrictModel):
    """Plate crop inline (small, JPEG base64); the scene image stays on the box, by reference."""

    plate_jpeg_b64: str | None = None
    scene_ref: str | None = None


class VehiclePassage(Event):
    """One vehicle past one camera, its plate decided over every read of its track."""

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


class IdCheck(Event):
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


class CameraStatus(StrictModel):
    camera_id: str
    state: Literal["starting", "running", "reconnecting", "failed", "finished"] = "running"
    fps_in: float = Field(default=0.0, ge=0.0)
    fps_out: float = Field(default=0.0, ge=0.0)
    last_frame_time: AwareDatetime | None = None
    dropped_frames: int = Field(default=0, ge=0)
    errors: int = Field(default=0, ge=0)
    last_error: str | None = None


class TerminalStatus(StrictModel):
    """The box's terminal API since start: checks by verdict, refused requests by reason
    (unauthenticated, too_large, not_image, corrupt_image, malformed, not_found,
    reader_unavailable)."""

    checks: int = Field(default=0, ge=0)
    verdicts: dict[str, int] = Field(default_factory=dict)
    refused: dict[str, int] = Field(default_factory=dict)


class Heartbeat(Event):
    checkpoint_id: str = Field(min_length=1)
    time: AwareDatetime
    cameras: list[CameraStatus] = Field(default_factory=list)
    spool_depth: int = Field(ge=0, description="events waiting for Kafka")
    spool_full: bool = Field(default=False, description="the spool's disk is full: events are "
                             "held in memory (spool_held), then dropped (spool_dropped)")
    spool_held: int = Field(default=0, ge=0)
    spool_dropped: int = Field(default=0, ge=0)
    terminal: TerminalStatus | None = None
