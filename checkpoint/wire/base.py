"""The strict base every kakou event and config model shares, and how events go on the wire.

Every event is UTF-8 JSON with a ``schema_version`` and a globally unique, time-ordered
``event_id`` (UUIDv7), so consumers can de-duplicate across retries and restarts. Models forbid
unknown fields: a producer that drifts from the contract is caught at the consumer and
dead-lettered instead of being half-understood.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal, TypeVar

import uuid6
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION = 1

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
T = TypeVar("T", bound=BaseModel)


class StrictModel(BaseModel):
    """Frozen, and unknown fields are errors: in events, in configs, in audit records."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def new_event_id() -> str:
    """A UUIDv7: globally unique and sortable by creation time."""
    return str(uuid6.uuid7())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Event(StrictModel):
    """A message on a kakou topic: versioned, with its own id."""

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: str = Field(default_factory=new_event_id, min_length=1)


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
