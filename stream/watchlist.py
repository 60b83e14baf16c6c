"""Watchlist CSV → entries, with every rejected line reported by its line number and reason.

Pure: the CLI (``stream.watchlist_cli``) and, later, the console call this and then publish the
accepted entries to the compacted ``kakou.watchlist`` topic.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pydantic import ValidationError

from checkpoint.contracts import WatchlistEntry, validation_problems
from checkpoint.plates import normalise
from stream.match import compile_pattern

COLUMNS = ("entry_id", "list", "plate", "pattern", "region", "category", "priority", "disposal",
           "reason", "case_number", "source", "valid_from", "valid_until", "last_verified")
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


def _entry(row: dict[str, str], created_by: str) -> WatchlistEntry:
    values = {k: v.strip() for k, v in row.items() if k in COLUMNS and v is not None and v.strip()}
    if "plate" in values:
        plate = normalise(values["plate"])
        if not plate:
            raise ValueError(f"plate {values['plate']!r} has no letters or digits")
        values["plate"] = plate
    if "pattern" in values:
        compile_pattern(values["pattern"])
    return WatchlistEntry.model_validate({**values, "created_by": created_by})


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(validation_problems(exc, root="row"))
    return str(exc)


def parse_csv(text: str, created_by: str) -> ImportResult:
    """Parse a watchlist CSV; good lines become entries, bad ones are reported, none is dropped."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise WatchlistFormatError(f"missing column(s) {', '.join(missing)}; header is {header}")
    if "plate" not in header and "pattern" not in header:
        raise WatchlistFormatError("needs a plate or a pattern column")
    result = ImportResult()
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            result.rejected.append(RejectedLine(line, f"{len(row[None]) + len(header)} fields, "
                                                      f"header has {len(header)}"))
            continue
        try:
            entry = _entry(row, created_by)
        except (ValidationError, ValueError) as exc:
            result.rejected.append(RejectedLine(line, _reason(exc)))
            continue
        if entry.entry_id in seen:
            result.rejected.append(RejectedLine(
                line, f"entry_id {entry.entry_id!r} already on line {seen[entry.entry_id]}"))
            continue
        seen[entry.entry_id] = line
        result.entries.append(entry)
    return result
