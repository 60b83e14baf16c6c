"""Passages → matches: which watchlist entries a read plate hits, and exactly why.

Exact entries are looked up in a dict by normalised plate (never a scan); wildcard and regex
patterns, few by nature, are tried one by one. A plate read with a known region never matches an
entry for another region. The OCR-confusion fuzzy matcher is issue 5.
"""
from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from checkpoint.contracts import MatchExplanation, WatchlistEntry
from checkpoint.plates import normalise

_WILDCARD = re.compile(r"^[A-Z0-9*?\u4e00-\u9fff]+$")


@dataclass(frozen=True)
class Match:
    entry: WatchlistEntry
    explanation: MatchExplanation


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``*``/``?`` wildcards over normalised text, or else a regex that must match the whole plate."""
    folded = re.sub(r"[\s\-·.]", "", pattern.upper())
    if _WILDCARD.match(folded):
        return re.compile(fnmatch.translate(folded))
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} is neither a wildcard nor a valid regex: {exc}") from None


def _region_ok(entry: WatchlistEntry, region: str | None) -> bool:
    return entry.region is None or region is None or entry.region == region


class WatchlistIndex:
    """Every active entry of every list, held whole in each worker (design.md: millions fit)."""

    def __init__(self) -> None:
        self._entries: dict[str, WatchlistEntry] = {}
        self._by_plate: dict[str, set[str]] = defaultdict(set)
        self._patterns: dict[str, re.Pattern[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def upsert(self, entry: WatchlistEntry) -> None:
        """Add or replace an entry (compile errors raise ValueError and change nothing)."""
        compiled = compile_pattern(entry.pattern) if entry.pattern is not None else None
        self.remove(entry.entry_id)
        self._entries[entry.entry_id] = entry
        if compiled is not None:
            self._patterns[entry.entry_id] = compiled
        else:
            self._by_plate[normalise(entry.plate or "")].add(entry.entry_id)

    def remove(self, entry_id: str) -> None:
        old = self._entries.pop(entry_id, None)
        if old is None:
            return
        if old.pattern is not None:
            self._patterns.pop(entry_id, None)
        else:
            key = normalise(old.plate or "")
            self._by_plate[key].discard(entry_id)
            if not self._by_plate[key]:
                del self._by_plate[key]

    def match(self, plate: str, region: str | None, when: datetime) -> list[Match]:
        """Entries hit by ``plate`` at ``when``: exact first, then patterns, by priority."""
        plate = normalise(plate)
        found: list[Match] = []
        for entry_id in sorted(self._by_plate.get(plate, ())):
            entry = self._entries[entry_id]
            if entry.active_at(when) and _region_ok(entry, region):
                found.append(Match(entry, MatchExplanation(type="exact", read=plate)))
        for entry_id, compiled in self._patterns.items():
            entry = self._entries[entry_id]
            if compiled.fullmatch(plate) and entry.active_at(when) and _region_ok(entry, region):
                found.append(Match(entry, MatchExplanation(type="pattern", read=plate)))
        return sorted(found, key=lambda m: (m.entry.priority, m.explanation.type != "exact"))
