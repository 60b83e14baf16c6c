"""Passage search as the control room asks it: a full or partial plate (``*`` any run, ``?`` one
character), optionally "any one character wrong", over a time range and a checkpoint; and why.

Pure functions: the query is checked and turned into SQL LIKE patterns here, the history runs
them (``stream.history.HistoryReader``), and the console audits every search before it shows a
result. A search without a reason and a case number is refused before it runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from checkpoint.wire.plates import normalise_wildcard

MAX_RANGE = timedelta(days=400)  #: no search may sweep more than this


class SearchError(ValueError):
    """A search that may not run as asked; says which field and why."""


@dataclass(frozen=True)
class Search:
    plate: str                 #: normalised, with * and ? kept
    since: datetime
    until: datetime
    checkpoint_id: str | None
    one_wrong: bool
    reason: str
    case_number: str

    def audit_details(self) -> dict:
        return {"plate": self.plate, "since": self.since.isoformat(),
                "until": self.until.isoformat(), "checkpoint_id": self.checkpoint_id,
                "one_wrong": self.one_wrong}


def parse_search(plate: str, since: datetime, until: datetime, checkpoint_id: str | None,
                 one_wrong: bool, reason: str, case_number: str) -> Search:
    """A checked search; raises SearchError naming the field."""
    reason, case_number = reason.strip(), case_number.strip()
    if len(reason) < 5:
        raise SearchError("reason: say why this search is needed (at least 5 characters)")
    if not case_number:
        raise SearchError("case_number: every search names its case")
    text = normalise_wildcard(plate)
    if not text or not text.strip("*?"):
        raise SearchError("plate: give at least one letter or digit (* and ? are wildcards)")
    if one_wrong and "*" in text:
        raise SearchError("plate: 'any one character wrong' needs a plate without *")
    if until <= since:
        raise SearchError("until: must be after since")
    if until - since > MAX_RANGE:
        raise SearchError(f"since: a search spans at most {MAX_RANGE.days} days")
    return Search(text, since, until, (checkpoint_id or "").strip() or None, one_wrong, reason,
                  case_number)


def like_patterns(search: Search) -> list[str]:
    """The LIKE patterns the plate stands for: ``*`` is ``%``, ``?`` is ``_``, and with
    ``one_wrong`` each position in turn may be any character (the plate itself included)."""
    base = [_like(ch) for ch in search.plate]
    if not search.one_wrong:
        return ["".join(base)]
    variants = {"".join(base[:i] + ["_"] + base[i + 1:]) for i in range(len(base))}
    return sorted(variants)


def _like(ch: str) -> str:
    if ch == "*":
        return "%"
    if ch == "?":
        return "_"
    return "\\" + ch if ch in "\\%_" else ch
