"""Passages → matches: which watchlist entries a read plate hits, and exactly why.

A misread character has sent officers to the wrong car, and a missed match lets a key vehicle
through, so the matcher is strict by default and explains itself:

- **exact**: the normalised read equals the entry's plate;
- **fuzzy**: the read differs from the plate only by OCR confusions (the classes the matcher
  folds in ``checkpoint.wire.plates.CONFUSIONS``: 0/O/D/Q, 1/I/L, 2/Z, 5/S, 6/G, 7/T, 8/B), at
  most ``max_confusions`` of them, plus at most ``max_edits`` other edits, as the entry's list
  allows (default: one confusion, nothing else; none for short plates);
- **pattern**: ``*``/``?`` wildcards or a regex over the whole plate.

Each read is tried: the edge's best read first, then its alternatives. Candidates come from
indexes, never a scan of the entries: exact plates by value, fuzzy ones by their confusion-folded
key and, for lists that allow other edits, by the symmetric-deletion neighbourhood of that key;
wildcard patterns by their literal prefix (``鲁A12*`` is tried only on reads starting ``鲁A12``).
Regexes and patterns starting with a wildcard, few by nature, are the one list tried in turn. A
plate read with a known region never matches an entry for another region.

Person entries (a ``subject_tag`` under a ``key_id``) match an ID check's tag exactly, never
fuzzily: a tag is a keyed hash, so one wrong character in the number gives an unrelated tag.
"""
from __future__ import annotations

import fnmatch
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from rapidfuzz.distance import Levenshtein

from checkpoint.wire.plates import MATCHER_CLASSES, normalise, normalise_wildcard
from stream.wire import MatchExplanation, WatchlistEntry

_FOLD = str.maketrans({c: group[0] for group in MATCHER_CLASSES for c in group})

ReadSource = Literal["best", "alternative"]


@dataclass(frozen=True)
class MatchPolicy:
    """How far a read may be from a list's plates and still alert (configurable per list)."""

    max_confusions: int = 1   # substitutions within one confusion class
    max_edits: int = 0        # any other substitution, insertion or deletion
    min_fuzzy_length: int = 5  # shorter plates match exactly or not at all


@dataclass(frozen=True)
class Match:
    entry: WatchlistEntry
    explanation: MatchExplanation


@dataclass(frozen=True)
class Difference:
    confusions: tuple[int, ...]  # positions in the entry's plate changed within a confusion class
    others: tuple[int, ...]      # positions of any other edit

    @property
    def positions(self) -> list[int]:
        return sorted({*self.confusions, *self.others})


def fold(plate: str) -> str:
    """Each character replaced by its confusion class: plates a misread can swap fold alike."""
    return plate.translate(_FOLD)


def difference(plate: str, read: str) -> Difference:
    """The edits that turn ``plate`` into ``read``, split into confusions and other edits."""
    confusions, others = [], []
    for op, src, dst in Levenshtein.editops(plate, read):
        if op == "replace" and fold(plate[src]) == fold(read[dst]):
            confusions.append(src)
        else:
            others.append(min(src, max(len(plate) - 1, 0)))
    return Difference(tuple(confusions), tuple(others))


def explain(entry_plate: str, read: str, source: ReadSource,
            policy: MatchPolicy) -> MatchExplanation | None:
    """Why ``read`` hits ``entry_plate`` under ``policy``, or None when it does not."""
    if read == entry_plate:
        return MatchExplanation(type="exact", read=read, read_source=source)
    if len(entry_plate) < policy.min_fuzzy_length:
        return None
    diff = difference(entry_plate, read)
    if len(diff.confusions) > policy.max_confusions or len(diff.others) > policy.max_edits:
        return None
    return MatchExplanation(type="fuzzy", read=read, read_source=source,
                            differing_positions=diff.positions)


def deletions(key: str, depth: int) -> set[str]:
    """Every string made from ``key`` by deleting up to ``depth`` characters (itself included)."""
    found = {key}
    for n in range(1, min(depth, len(key)) + 1):
        found.update("".join(kept) for kept in itertools.combinations(key, len(key) - n))
    return found


def literal_prefix(pattern: str) -> str:
    """What every plate a wildcard pattern matches starts with ("" for a regex)."""
    folded = normalise_wildcard(pattern)
    return re.split(r"[*?]", folded, maxsplit=1)[0] if folded else ""


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``*``/``?`` wildcards over normalised text, or else a regex that must match the whole plate."""
    folded = normalise_wildcard(pattern)
    if folded is not None:
        return re.compile(fnmatch.translate(folded))
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} is neither a wildcard nor a valid regex: {exc}") from None


def _region_ok(entry: WatchlistEntry, region: str | None) -> bool:
    return entry.region is None or region is None or entry.region == region


def rank(why: MatchExplanation) -> tuple[int, int, bool]:
    """Better explanations sort first: exact, then fewer differences, best read before others."""
    return ({"exact": 0, "fuzzy": 1, "pattern": 2}[why.type], len(why.differing_positions),
            why.read_source != "best")


@dataclass
class WatchlistIndex:
    """Every entry of every list, held whole in each worker (design.md: millions fit)."""

    policies: dict[str, MatchPolicy] = field(default_factory=dict)
    default_policy: MatchPolicy = MatchPolicy()

    def __post_init__(self) -> None:
        self._entries: dict[str, WatchlistEntry] = {}
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._folded: dict[str, set[str]] = defaultdict(set)
        self._deleted: dict[str, set[str]] = defaultdict(set)
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._by_prefix: dict[str, set[str]] = defaultdict(set)  # wildcard patterns' prefixes
        self._subjects: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._depth = max([p.max_edits for p in self.policies.values()]
                          + [self.default_policy.max_edits])

    def __len__(self) -> int:
        return len(self._entries)

    def policy(self, entry: WatchlistEntry) -> MatchPolicy:
        return self.policies.get(entry.list, self.default_policy)

    def upsert(self, entry: WatchlistEntry) -> None:
        """Add or replace an entry (a pattern that does not compile raises, changing nothing)."""
        compiled = compile_pattern(entry.pattern) if entry.pattern is not None else None
        self.remove(entry.entry_id)
        self._entries[entry.entry_id] = entry
        if compiled is not None:
            self._patterns[entry.entry_id] = compiled
            self._by_prefix[literal_prefix(entry.pattern or "")].add(entry.entry_id)
            return
        if entry.subject_tag is not None:
            self._subjects[(entry.key_id or "", entry.subject_tag)].add(entry.entry_id)
            return
        plate = normalise(entry.plate or "")
        self._exact[plate].add(entry.entry_id)
        self._folded[fold(plate)].add(entry.entry_id)
        for key in self._neighbourhood(plate, self.policy(entry).max_edits):
            self._deleted[key].add(entry.entry_id)

    def remove(self, entry_id: str) -> None:
        old = self._entries.pop(entry_id, None)
        if old is None:
            return
        if old.pattern is not None:
            del self._patterns[entry_id]
            prefix = literal_prefix(old.pattern)
            self._by_prefix[prefix].discard(entry_id)
            if not self._by_prefix[prefix]:
                del self._by_prefix[prefix]
            return
        if old.subject_tag is not None:
            subject = (old.key_id or "", old.subject_tag)
            self._subjects[subject].discard(entry_id)
            if not self._subjects[subject]:
                del self._subjects[subject]
            return
        plate = normalise(old.plate or "")
        for table, keys in ((self._exact, [plate]), (self._folded, [fold(plate)]),
                            (self._deleted,
                             self._neighbourhood(plate, self.policy(old).max_edits))):
            for key in keys:
                table[key].discard(entry_id)
                if not table[key]:
                    del table[key]

    @staticmethod
    def _neighbourhood(plate: str, depth: int) -> Iterable[str]:
        """Deletion keys: an entry's to its own list's depth (only lists that allow other edits
        pay for the index), a read's to the deepest list's, so every pair within reach meets."""
        return deletions(fold(plate), depth) if depth else ()

    def _candidates(self, read: str) -> set[str]:
        found = set(self._exact.get(read, ())) | self._folded.get(fold(read), set())
        for key in self._neighbourhood(read, self._depth):
            found |= self._deleted.get(key, set())
        return found

    def _pattern_candidates(self, read: str) -> set[str]:
        found = set(self._by_prefix.get("", ()))
        for end in range(1, len(read) + 1):
            found |= self._by_prefix.get(read[:end], set())
        return found

    def match(self, reads: Sequence[tuple[str, ReadSource]], region: str | None,
              when: datetime) -> list[Match]:
        """Entries hit by any of ``reads`` at ``when``, each once with its best explanation,
        ordered by priority (1 first), then by how good the explanation is."""
        best: dict[str, Match] = {}
        for raw, source in reads:
            read = normalise(raw)
            if not read:
                continue
            for entry_id in self._candidates(read):
                entry = self._entries[entry_id]
                why = explain(normalise(entry.plate or ""), read, source, self.policy(entry))
                self._keep(best, entry, why, when, region)
            for entry_id in self._pattern_candidates(read):
                entry = self._entries[entry_id]
                why = (MatchExplanation(type="pattern", read=read, read_source=source)
                       if self._patterns[entry_id].fullmatch(read) else None)
                self._keep(best, entry, why, when, region)
        return sorted(best.values(), key=lambda m: (m.entry.priority, rank(m.explanation)))

    def match_subject(self, subject_tag: str, key_id: str | None, when: datetime) -> list[Match]:
        """Person entries whose tag (under the same key) is ``subject_tag``, active at ``when``,
        most urgent first."""
        why = MatchExplanation(type="exact", read=subject_tag)
        found = [Match(self._entries[entry_id], why)
                 for entry_id in self._subjects.get((key_id or "", subject_tag), ())
                 if self._entries[entry_id].active_at(when)]
        return sorted(found, key=lambda m: (m.entry.priority, m.entry.entry_id))

    @staticmethod
    def _keep(best: dict[str, Match], entry: WatchlistEntry, why: MatchExplanation | None,
              when: datetime, region: str | None) -> None:
        if why is None or not entry.active_at(when) or not _region_ok(entry, region):
            return
        candidate = Match(entry, why)
        current = best.get(entry.entry_id)
        if current is None or rank(why) < rank(current.explanation):
            best[entry.entry_id] = candidate
