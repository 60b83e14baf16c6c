"""Watchlist CSV → entries, with every rejected line reported by its line number and reason.

Pure apart from reading the pseudonymisation key: the CLI (``stream.watchlist_cli``) and the
console call this and then publish the accepted entries to the compacted ``kakou.watchlist`` topic.
Person lists come as ``document_type`` + ``document_number`` columns; each number is turned into
its subject tag here and dropped, so it never reaches the topic, the logs or an error message.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from checkpoint.wire.base import validation_problems
from checkpoint.wire.edge import DocumentType
from checkpoint.wire.plates import normalise, spell
from checkpoint.wire.pseudonym import (PseudonymError, PseudonymKey, load_key, load_previous_keys,
                                       subject_tag)
from stream.match import compile_pattern
from stream.wire import WatchlistEntry

COLUMNS = ("entry_id", "list", "plate", "pattern", "subject_tag", "key_id", "region", "category",
           "priority", "disposal", "reason", "case_number", "source", "valid_from", "valid_until",
           "last_verified")
PERSON_COLUMNS = ("document_type", "document_number")  # import only: tagged, never kept
REQUIRED_COLUMNS = ("entry_id", "list", "category", "priority", "disposal")


class WatchlistFormatError(ValueError):
    """The file as a whole cannot be read (no header, missing columns)."""


@dataclass(frozen=True)
class RejectedLine:
    line: int
    reason: str


@dataclass
class ImportResult:
    entries: list[WatchlistEntry] = field(default_factory=list)
    rejected: list[RejectedLine] = field(default_factory=list)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading quote."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def to_csv(entries: list[WatchlistEntry]) -> str:
    """Entries as a CSV in the import format, sorted by id, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in sorted(entries, key=lambda e: e.entry_id):
        writer.writerow([_cell(getattr(entry, column)) for column in COLUMNS])
    return out.getvalue()


def _tag(row: Mapping[str, str], key: PseudonymKey | None) -> dict[str, str]:
    """subject_tag and key_id for a row that names a document, else nothing."""
    number = (row.get("document_number") or "").strip()
    kind = (row.get("document_type") or "").strip()
    if not number:
        if kind:
            raise ValueError("document_type given without a document_number")
        return {}
    if not kind:
        raise ValueError("document_number needs a document_type")
    try:
        document_type = DocumentType(kind)
    except ValueError:
        raise ValueError("document_type must be one of "
                         + ", ".join(t.value for t in DocumentType)) from None
    try:
        tag = subject_tag(document_type, number, key or load_key())
    except PseudonymError as exc:  # its message never holds the number: it must not be logged
        raise ValueError(str(exc)) from None
    return {"subject_tag": tag, "key_id": (key or load_key()).key_id}


def _entry(row: Mapping[str, str], created_by: str, key: PseudonymKey | None) -> WatchlistEntry:
    values = {k: v.strip() for k, v in row.items() if k in COLUMNS and v is not None and v.strip()}
    values.update(_tag(row, key))
    if "plate" in values:
        plate = spell(normalise(values["plate"]), values.get("region"))
        if not plate:
            raise ValueError(f"plate {values['plate']!r} has no letters or digits")
        values["plate"] = plate
    if "pattern" in values:
        compile_pattern(values["pattern"])
    return WatchlistEntry.model_validate({**values, "created_by": created_by})


def entry_from_row(row: Mapping[str, str], created_by: str,
                   key: PseudonymKey | None = None) -> WatchlistEntry:
    """One entry from the import's columns, validated as an import line is (the console's and
    the API's single entries too); ValueError saying why not. A document number is tagged with
    ``key``, or the environment's key."""
    try:
        return _entry(row, created_by, key)
    except ValidationError as exc:
        raise ValueError("; ".join(validation_problems(exc, root="row"))) from None


def _rows(reader: csv.DictReader, result: ImportResult) -> Iterator[tuple[int, dict]]:
    """(line number, row) of each line the csv module can split; a line it cannot (a stray
    quote, a carriage return inside a field) is rejected with why, and reading goes on."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.rejected.append(RejectedLine(reader.line_num, f"not CSV: {exc}"))
            continue
        yield reader.line_num, row


def parse_csv(text: str, created_by: str, key: PseudonymKey | None = None,
              previous_keys: Sequence[PseudonymKey] | None = None) -> ImportResult:
    """Parse a watchlist CSV; good lines become entries, bad ones are reported, none is dropped.

    A file with a ``document_number`` column is tagged with ``key``, or with the key from the
    environment (``checkpoint.wire.pseudonym.load_key``) when none is given; during a key
    rotation each person is tagged under every previous key too (``previous_keys``, else the
    environment's ``load_previous_keys``), as its own entry ``<entry_id>@<key_id>``."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise WatchlistFormatError(f"the header line is not CSV: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise WatchlistFormatError(f"missing column(s) {', '.join(missing)}; header is {header}")
    if not {"plate", "pattern", "subject_tag", "document_number"} & set(header):
        raise WatchlistFormatError("needs a plate, pattern, subject_tag or document_number column")
    if "document_number" in header:
        try:
            key = key or load_key()
            previous_keys = load_previous_keys() if previous_keys is None else previous_keys
        except PseudonymError as exc:
            raise WatchlistFormatError(str(exc)) from None
    result = ImportResult()
    seen: dict[str, int] = {}
    for line, row in _rows(reader, result):
        if None in row:
            result.rejected.append(RejectedLine(line, f"{len(row[None]) + len(header)} fields, "
                                                      f"header has {len(header)}"))
            continue
        try:
            entries = [entry_from_row(row, created_by, key)]
            if (row.get("document_number") or "").strip():
                entries += [entry_from_row({**row, "entry_id": f"{row.get('entry_id')}@{k.key_id}"},
                                           created_by, k)
                            for k in previous_keys or () if k.key_id != key.key_id]
        except ValueError as exc:
            result.rejected.append(RejectedLine(line, str(exc)))
            continue
        clash = next((e.entry_id for e in entries if e.entry_id in seen), None)
        if clash is not None:
            result.rejected.append(RejectedLine(
                line, f"entry_id {clash!r} already on line {seen[clash]}"))
            continue
        for entry in entries:
            seen[entry.entry_id] = line
        result.entries.extend(entries)
    return result
