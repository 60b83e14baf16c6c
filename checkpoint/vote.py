"""Reads → one plate per vehicle: confidence-weighted voting over a track's reads.

Reads of one plate differ by a character here and there (a 0 for a D in one frame, a B for an 8
in another). Near-identical reads (one or two edits apart) are clustered; the heaviest cluster is the
vehicle's plate, and within it each position is decided by a weighted vote over the reads of the
cluster's usual length, so two reads each wrong in a different place still give the right plate.
Pure and small on purpose: what the officer is shown as "the plate" is decided here, so it is
tested exhaustively (tests/test_vote.py).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


@dataclass(frozen=True)
class Candidate:
    text: str
    confidence: float  # confidence-weighted share of the track's reads that support it, 0..1


@dataclass(frozen=True)
class Vote:
    best: Candidate
    alternatives: tuple[Candidate, ...]  # best first, excluding ``best``
    reads: int


def near(a: str, b: str) -> bool:
    """Near-identical: one edit apart, two for plates of six characters or more."""
    limit = 2 if min(len(a), len(b)) >= 6 else 1
    return Levenshtein.distance(a, b, score_cutoff=limit) <= limit


def _clusters(weights: dict[str, float]) -> list[dict[str, float]]:
    """Texts grouped with the heaviest text they are near, heaviest cluster first."""
    clusters: list[dict[str, float]] = []
    for text, weight in sorted(weights.items(), key=lambda kv: -kv[1]):  # stable: first-seen wins
        home = next((c for c in clusters if near(text, next(iter(c)))), None)
        if home is None:
            clusters.append({text: weight})
        else:
            home[text] = weight
    return sorted(clusters, key=lambda c: -sum(c.values()))


def _consensus(cluster: dict[str, float]) -> str:
    """Position-wise weighted vote over the cluster's reads of its most supported length."""
    by_length: dict[int, float] = defaultdict(float)
    for text, weight in cluster.items():
        by_length[len(text)] += weight
    length = max(by_length, key=by_length.__getitem__)
    same = [(t, w) for t, w in cluster.items() if len(t) == length]
    chars = []
    for i in range(length):
        tally: Counter[str] = Counter()
        for text, weight in same:
            tally[text[i]] += weight
        chars.append(max(tally, key=tally.__getitem__))  # ties: the heaviest read's character
    return "".join(chars)


def vote(reads: Iterable[tuple[str, float]], max_alternatives: int = 4) -> Vote:
    """Each read votes for its text with its confidence; see the module docstring for how.

    The best plate's confidence is its support: each read of its cluster counts with its
    confidence times its similarity to the plate, over all reads of the track; ten reads at 0.9
    that agree score 0.9, one read among ten scores at most 0.1.
    """
    weights: dict[str, float] = defaultdict(float)
    count = 0
    for text, confidence in reads:
        weights[text] += confidence
        count += 1
    if count == 0:
        raise ValueError("cannot vote on a track without reads")
    clusters = _clusters(weights)
    best_text = _consensus(clusters[0])
    support = sum(w * Levenshtein.normalized_similarity(t, best_text) for t, w in clusters[0].items())
    others = sorted(((t, w) for t, w in weights.items() if t != best_text), key=lambda kv: -kv[1])
    return Vote(Candidate(best_text, min(1.0, support / count)),
                tuple(Candidate(t, min(1.0, w / count)) for t, w in others[:max_alternatives]),
                count)
