"""The append-only, hash-chained audit log (design.md, "Privacy and accountability").

Every record carries the hash of the one before it, so altering, deleting, inserting or reordering
a stored record breaks the chain where it happened, and ``verify_chain`` names that ``seq``. The
chain logic is pure; ``AuditLog`` keeps the records in a Redis stream (stream id ``<seq>-0``) and a
head key ``{seq, hash}`` that appends WATCH, so any number of console replicas extend one chain.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import redis
from pydantic import AwareDatetime, Field, ValidationError, field_validator

from checkpoint.wire.base import StrictModel, utcnow, validation_problems
from stream.keys import AUDIT_HEAD, AUDIT_LOG

GENESIS = "0" * 64  #: the prev_hash of the first record
_HEX64 = r"^[0-9a-f]{64}$"
_MAX_TRIES = 100
_PAGE = 1000


class AuditError(RuntimeError):
    """The audit log cannot be written or read; callers must not go ahead unaudited."""


class AuditRecord(StrictModel):
    seq: int = Field(ge=1)
    time: AwareDatetime
    actor: str = Field(min_length=1)
    action: str = Field(min_length=1, description='e.g. "watchlist.create", "search", "login"')
    target: str
    reason: str
    case_number: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str = Field(pattern=_HEX64)
    hash: str = Field(pattern=_HEX64)

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        """One time zone, so the same instant always serialises (and hashes) the same."""
        return value.astimezone(timezone.utc)


def record_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of every field but ``hash`` (JSON types, as dumped)."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def next_record(prev_seq: int, prev_hash: str, *, time: datetime, actor: str, action: str,
                target: str, reason: str, case_number: str | None = None,
                details: Mapping[str, Any] | None = None) -> AuditRecord:
    """The record that follows (prev_seq, prev_hash); ``(0, GENESIS)`` starts a chain."""
    unsealed = AuditRecord(seq=prev_seq + 1, time=time, actor=actor, action=action, target=target,
                           reason=reason, case_number=case_number, details=dict(details or {}),
                           prev_hash=prev_hash, hash=GENESIS)
    body = unsealed.model_dump(mode="json")
    return AuditRecord.model_validate({**body, "hash": record_hash(body)})


def verify_chain(records: Iterable[AuditRecord]) -> list[str]:
    """Every break in a chain that must start at seq 1, each naming the seq where it is seen."""
    problems: list[str] = []
    expected_seq, prev_hash = 1, GENESIS
    for record in records:
        if record.seq != expected_seq:
            problems.append(f"seq {record.seq}: expected seq {expected_seq} "
                            "(a record is missing, inserted or out of order)")
        if record.prev_hash != prev_hash:
            problems.append(f"seq {record.seq}: prev_hash is not the hash of the record before it")
        if record_hash(record.model_dump(mode="json")) != record.hash:
            problems.append(f"seq {record.seq}: hash mismatch (the record was altered)")
        expected_seq, prev_hash = record.seq + 1, record.hash
    return problems


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _parse(stream_id: str, fields: Mapping[Any, Any]) -> AuditRecord:
    raw = {_text(k): _text(v) for k, v in fields.items()}
    try:
        return AuditRecord.model_validate_json(raw.get("record", ""))
    except ValidationError as exc:
        raise AuditError(f"stream id {stream_id}: unreadable record: "
                         + "; ".join(validation_problems(exc))) from None


def _last_of(rows: list[tuple[Any, Mapping[Any, Any]]]) -> tuple[int, str]:
    """(seq, hash) of the record in an XREVRANGE COUNT 1 reply; (0, GENESIS) for none."""
    if not rows:
        return 0, GENESIS
    record = _parse(_text(rows[0][0]), rows[0][1])
    return record.seq, record.hash


class AuditLog:
    """The audit log in Redis: records in a stream, the chain head in its own key."""

    def __init__(self, client: redis.Redis, *, log_key: str = AUDIT_LOG,
                 head_key: str = AUDIT_HEAD, clock: Callable[[], datetime] = utcnow) -> None:
        self._client, self._log, self._head, self._clock = client, log_key, head_key, clock

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last record; (0, GENESIS) while the log is empty."""
        try:
            return self._state()[0]
        except redis.RedisError as exc:
            raise AuditError(f"audit log unavailable: {exc}") from exc

    def append(self, actor: str, action: str, target: str, *, reason: str,
               case_number: str | None = None,
               details: Mapping[str, Any] | None = None) -> AuditRecord:
        """Add the next record; concurrent writers retry on the WATCHed head, never fork it."""
        try:
            for _ in range(_MAX_TRIES):
                with self._client.pipeline() as pipe:
                    try:
                        pipe.watch(self._head, self._log)
                        seq, prev_hash = self._consistent_head()
                        record = next_record(seq, prev_hash, time=self._clock(), actor=actor,
                                             action=action, target=target, reason=reason,
                                             case_number=case_number, details=details)
                        pipe.multi()
                        pipe.xadd(self._log, {"record": record.model_dump_json()},
                                  id=f"{record.seq}-0")
                        pipe.set(self._head, json.dumps({"seq": record.seq, "hash": record.hash}))
                        pipe.execute()
                        return record
                    except redis.WatchError:
                        continue
        except redis.RedisError as exc:
            raise AuditError(f"audit log unavailable: {exc}") from exc
        raise AuditError(f"audit log: gave up after {_MAX_TRIES} concurrent appends won the race")

    def records(self, start_seq: int = 1, limit: int | None = None) -> list[AuditRecord]:
        """The records from ``start_seq`` on, oldest first (at most ``limit``)."""
        try:
            rows = self._client.xrange(self._log, min=f"{max(start_seq, 1)}-0", max="+",
                                       count=limit)
        except redis.RedisError as exc:
            raise AuditError(f"audit log unavailable: {exc}") from exc
        return [_parse(_text(sid), fields) for sid, fields in rows]

    def verify(self) -> list[str]:
        """Every problem with the stored chain: unreadable records, breaks, a head that moved."""
        stored: list[str] = []  # what is wrong with how records are stored, not the chain

        def parsed() -> Iterator[AuditRecord]:
            for stream_id, fields in self._scan():
                try:
                    record = _parse(stream_id, fields)
                except AuditError as exc:
                    stored.append(str(exc))
                    continue
                if stream_id != f"{record.seq}-0":
                    stored.append(f"seq {record.seq}: stored under stream id {stream_id}")
                yield record

        try:
            chain = verify_chain(parsed())
            problems = stored + chain + self._head_problems()
        except redis.RedisError as exc:
            raise AuditError(f"audit log unavailable: {exc}") from exc
        return problems

    def _scan(self) -> Iterator[tuple[str, Mapping[Any, Any]]]:
        """Every stored record in stream order, a page at a time (the log only grows)."""
        start = "-"
        while rows := self._client.xrange(self._log, min=start, max="+", count=_PAGE):
            for sid, fields in rows:
                yield _text(sid), fields
            start = "(" + _text(rows[-1][0])

    def _state(self) -> tuple[tuple[int, str], tuple[int, str]]:
        """The head and the last stored record, read in one transaction: they agree unless the
        log was damaged (a write racing an append's WATCH makes its EXEC fail, and it retries)."""
        with self._client.pipeline(transaction=True) as read:
            read.get(self._head)
            read.xrevrange(self._log, count=1)
            raw_head, last = read.execute()
        return self._parse_head(raw_head), _last_of(last)

    def _parse_head(self, raw: str | bytes | None) -> tuple[int, str]:
        if raw is None:
            return 0, GENESIS
        try:
            head = json.loads(raw)
            return int(head["seq"]), str(head["hash"])
        except (ValueError, KeyError, TypeError):
            raise AuditError(f"audit head {self._head} is unreadable: {raw!r}") from None

    def _consistent_head(self) -> tuple[int, str]:
        """The head, checked against the last stored record: never extend a damaged chain."""
        head, last = self._state()
        if last != head:
            raise AuditError("audit head and log disagree; run `kakou-audit verify`")
        return head

    def _head_problems(self) -> list[str]:
        try:
            head, last = self._state()
        except AuditError as exc:
            return [str(exc)]
        if last == head:
            return []
        return [f"head says seq {head[0]} but the log ends at seq {last[0]} "
                "(records removed from the end, or the head was altered)"]
