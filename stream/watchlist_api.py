"""The one watchlist API, shared by ``kakou-watchlist`` and the console: create, update, delete,
import and export, each change audited and then published to the compacted ``kakou.watchlist``.

The audit record is written first, so nothing reaches the topic unaudited; a publish that is not
acknowledged raises (and is itself audited). Validation is the CSV import's own (normalised
plates, checked patterns, person numbers turned into tags), so the console, the CLI and files all
accept exactly the same entries. Kafka and the audit log come in as adapters, so the logic here is
tested with in-memory fakes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from checkpoint.wire.base import ContractError, decode, encode
from checkpoint.wire.settings import kafka_bootstrap, kafka_security
from checkpoint.wire.topics import WATCHLIST, ensure_topics
from stream.audit import AuditError, AuditRecord
from stream.watchlist import (COLUMNS, PERSON_COLUMNS, ImportResult, WatchlistFormatError,
                              entry_from_row, parse_csv, to_csv)
from stream.wire import WatchlistEntry

FIELDS = (*COLUMNS, *PERSON_COLUMNS)  #: what create and update accept (as the CSV columns)


class WatchlistError(ValueError):
    """A change that cannot be made; the message names the field or entry, for people to read."""


class UnknownEntryError(WatchlistError):
    """No entry has that id (the console answers 404)."""


class DuplicateEntryError(WatchlistError):
    """An entry with that id exists already (the console answers 409)."""


class PublishError(WatchlistError):
    """kakou.watchlist did not acknowledge a change; its audit record says it was attempted."""


@dataclass
class WatchlistSnapshot:
    """The compacted topic read to its end: live entries, and keys whose message is unreadable."""

    entries: dict[str, WatchlistEntry] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CsvExport:
    text: str
    count: int
    unreadable: int


Change = tuple[str, WatchlistEntry | None]  # entry id, and the entry or None for a tombstone


class WatchlistStore(Protocol):
    def read(self) -> WatchlistSnapshot: ...

    def publish(self, changes: Sequence[Change]) -> None: ...


class AuditTrail(Protocol):
    def append(self, actor: str, action: str, target: str, *, reason: str,
               case_number: str | None = None,
               details: Mapping[str, Any] | None = None) -> AuditRecord: ...


class WatchlistTopic:
    """kakou.watchlist through kafka-python: publishes wait for acks=all; reads go to the end."""

    def __init__(self, bootstrap: str | None = None, *, timeout_s: float = 30.0) -> None:
        self._bootstrap = bootstrap or kafka_bootstrap()
        self._timeout_s = timeout_s
        self._producer: KafkaProducer | None = None
        self._topic_ready = False

    def _ensure_topic(self) -> None:
        if not self._topic_ready:
            ensure_topics(self._bootstrap, (WATCHLIST,))
            self._topic_ready = True

    def publish(self, changes: Sequence[Change]) -> None:
        try:
            self._ensure_topic()
            if self._producer is None:
                self._producer = KafkaProducer(bootstrap_servers=self._bootstrap, acks="all",
                                               **kafka_security(),
                                               enable_idempotence=True, client_id="kakou-watchlist",
                                               linger_ms=5, batch_size=512 * 1024)
            futures = [self._producer.send(WATCHLIST.name, key=entry_id.encode(),
                                           value=None if entry is None else encode(entry))
                       for entry_id, entry in changes]
            # A million-entry import takes a while to send; the timeout is for a stalled broker.
            self._producer.flush(timeout=self._timeout_s + len(futures) / 5_000)
            for future in futures:
                future.get(timeout=self._timeout_s)
        except KafkaError as exc:
            raise PublishError(f"{WATCHLIST.name} did not acknowledge the change: {exc!r}") from exc

    def read(self) -> WatchlistSnapshot:
        try:
            self._ensure_topic()
            latest = self._latest_values()
        except KafkaError as exc:
            raise WatchlistError(f"{WATCHLIST.name} cannot be read: {exc!r}") from exc
        snapshot = WatchlistSnapshot()
        for key, value in latest.items():
            if value is None:
                continue
            try:
                snapshot.entries[key] = decode(WatchlistEntry, value)
            except ContractError:  # the stream dead-letters these; a delete can still clear them
                snapshot.unreadable.append(key)
        return snapshot

    def _latest_values(self) -> dict[str, bytes | None]:
        """The last value of every key, from the beginning of the topic to its current end."""
        consumer = KafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False,
                                 **kafka_security(),
                                 client_id="kakou-watchlist-reader")
        try:
            parts = [TopicPartition(WATCHLIST.name, p) for p in range(WATCHLIST.partitions)]
            consumer.assign(parts)
            consumer.seek_to_beginning(*parts)
            end = consumer.end_offsets(parts)
            latest: dict[str, bytes | None] = {}
            while any(consumer.position(tp) < end[tp] for tp in parts):
                for messages in consumer.poll(timeout_ms=1000).values():
                    for m in messages:
                        if m.key is not None:
                            latest[m.key.decode("utf-8", "replace")] = m.value
            return latest
        finally:
            consumer.close()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None


def _text(value: object) -> str:
    """A field value as the CSV import reads it ("" clears an optional field)."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _row(entry: WatchlistEntry) -> dict[str, str]:
    return {column: _text(getattr(entry, column)) for column in COLUMNS}


def _check_fields(values: Mapping[str, object]) -> None:
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise WatchlistError(f"{unknown[0]}: unknown field (fields: {', '.join(FIELDS)})")


def _validated(row: Mapping[str, str], created_by: str) -> WatchlistEntry:
    """One entry through the CSV import's validation, so every path accepts the same entries."""
    try:
        return entry_from_row(row, created_by)
    except ValueError as exc:
        raise WatchlistError(str(exc)) from None


def _changed(before: WatchlistEntry, after: WatchlistEntry) -> dict[str, dict[str, Any]]:
    old = before.model_dump(mode="json", exclude={"event_id"})
    new = after.model_dump(mode="json", exclude={"event_id"})
    return {k: {"before": old[k], "after": new[k]} for k in new if new[k] != old[k]}


def _accountable(actor: str, reason: str) -> None:
    if not actor.strip():
        raise WatchlistError("actor: required (who makes the change)")
    if not reason.strip():
        raise WatchlistError("reason: required for every watchlist change")


class WatchlistService:
    """Create, update, delete, import and export watchlist entries, each change audited first."""

    def __init__(self, topic: WatchlistStore, audit: AuditTrail) -> None:
        self._topic, self._audit = topic, audit

    def get(self, entry_id: str) -> WatchlistEntry:
        entry = self._topic.read().entries.get(entry_id)
        if entry is None:
            raise UnknownEntryError(f"entry_id {entry_id!r}: not on the watchlist")
        return entry

    def entries(self) -> list[WatchlistEntry]:
        return sorted(self._topic.read().entries.values(), key=lambda e: e.entry_id)

    def export_csv(self) -> CsvExport:
        """The current list in the import format, spreadsheet-safe."""
        snapshot = self._topic.read()
        return CsvExport(to_csv(list(snapshot.entries.values())), len(snapshot.entries),
                         len(snapshot.unreadable))

    def create(self, entry_fields: Mapping[str, object], *, actor: str, reason: str,
               case_number: str | None = None) -> WatchlistEntry:
        _accountable(actor, reason)
        _check_fields(entry_fields)
        entry = _validated({k: _text(v) for k, v in entry_fields.items()}, created_by=actor)
        if entry.entry_id in self._topic.read().entries:
            raise DuplicateEntryError(f"entry_id {entry.entry_id!r}: exists already "
                                      "(update it instead)")
        self._commit("watchlist.create", entry.entry_id, [(entry.entry_id, entry)],
                     actor=actor, reason=reason, case_number=case_number,
                     details={"entry": entry.model_dump(mode="json")})
        return entry

    def update(self, entry_id: str, changes: Mapping[str, object], *, actor: str, reason: str,
               case_number: str | None = None) -> WatchlistEntry:
        """Change some fields; "" or None clears an optional one. The creator stays recorded."""
        _accountable(actor, reason)
        _check_fields(changes)
        if _text(changes.get("entry_id", entry_id)) != entry_id:
            raise WatchlistError("entry_id: cannot be changed (delete it and create another)")
        before = self.get(entry_id)
        row = {**_row(before), **{k: _text(v) for k, v in changes.items()}}
        after = _validated(row, created_by=before.created_by)
        changed = _changed(before, after)
        if not changed:
            raise WatchlistError(f"entry_id {entry_id!r}: no field changed")
        self._commit("watchlist.update", entry_id, [(entry_id, after)], actor=actor,
                     reason=reason, case_number=case_number,
                     details={"changed": changed, "entry": after.model_dump(mode="json")})
        return after

    def delete(self, entry_id: str, *, actor: str, reason: str,
               case_number: str | None = None) -> None:
        """Tombstone an entry; also clears a key whose message is unreadable."""
        _accountable(actor, reason)
        snapshot = self._topic.read()
        before = snapshot.entries.get(entry_id)
        if before is None and entry_id not in snapshot.unreadable:
            raise UnknownEntryError(f"entry_id {entry_id!r}: not on the watchlist")
        self._commit("watchlist.delete", entry_id, [(entry_id, None)], actor=actor,
                     reason=reason, case_number=case_number,
                     details={"entry": before.model_dump(mode="json") if before else None})

    def import_csv(self, text: str, *, actor: str, reason: str, case_number: str | None = None,
                   source: str = "csv", dry_run: bool = False) -> ImportResult:
        """Publish a CSV's good lines (adding or replacing entries) under one audit record; the
        bad lines come back in the result, by line number."""
        _accountable(actor, reason)
        try:
            result = parse_csv(text, created_by=actor)
        except WatchlistFormatError as exc:
            raise WatchlistError(str(exc)) from None
        if dry_run or not result.entries:
            return result
        return self.import_checked(result, actor=actor, reason=reason,
                                   case_number=case_number, source=source)

    def import_checked(self, result: ImportResult, *, actor: str, reason: str,
                       case_number: str | None = None, source: str = "csv") -> ImportResult:
        """Publish the entries of an import checked before (``import_csv(dry_run=True)``)."""
        _accountable(actor, reason)
        self._commit("watchlist.import", source, [(e.entry_id, e) for e in result.entries],
                     actor=actor, reason=reason, case_number=case_number,
                     details=_import_details(result))
        return result

    def _commit(self, action: str, target: str, changes: Sequence[Change], *, actor: str,
                reason: str, case_number: str | None, details: Mapping[str, Any]) -> None:
        """Audit, then publish: a change the log does not hold never reaches the topic."""
        try:
            record = self._audit.append(actor, action, target, reason=reason,
                                        case_number=case_number, details=details)
        except AuditError as exc:
            raise WatchlistError(f"{exc}; nothing was published") from exc
        try:
            self._topic.publish(changes)
        except PublishError as exc:
            raise PublishError(f"{exc} (audit seq {record.seq}; "
                               f"{self._audit_failure(record, exc)})") from exc

    def _audit_failure(self, record: AuditRecord, exc: PublishError) -> str:
        """Record that the audited change may not have been applied; say whether that worked."""
        try:
            failed = self._audit.append(record.actor, "watchlist.publish-failed", record.target,
                                        reason=f"publish of audit seq {record.seq} unacknowledged",
                                        case_number=record.case_number,
                                        details={"seq": record.seq, "error": str(exc)})
        except AuditError as audit_exc:
            return f"the failure could not be audited: {audit_exc}"
        return f"failure audited as seq {failed.seq}"


#: Up to this many accepted ids are listed in an import's audit record; a bigger import is
#: recorded by a digest of its entries, so a million-entry list does not make a 20 MB record.
AUDIT_MAX_IDS = 1000


def _import_details(result: ImportResult) -> dict[str, Any]:
    """What an import changed: counts, and the ids or a SHA-256 over the entries in file order
    (entry_id, then the entry's JSON without its event id), which a kept file can be checked by."""
    digest = hashlib.sha256()
    for entry in result.entries:
        digest.update(entry.model_dump_json(exclude={"event_id"}).encode() + b"\n")
    details: dict[str, Any] = {"accepted": len(result.entries), "rejected": len(result.rejected),
                               "entries_sha256": digest.hexdigest()}
    if len(result.entries) <= AUDIT_MAX_IDS:
        details["entry_ids"] = [e.entry_id for e in result.entries]
    return details
