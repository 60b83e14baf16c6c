"""Reads → one plate per vehicle: confidence-weighted voting over a track's reads.

Pure and small on purpose: what the officer is shown as "the plate" is decided here, so it is
tested exhaustively (tests/test_vote.py).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    text: str
    confidence: float  # share of the track's confidence-weighted votes, 0..1


@dataclass(frozen=True)
class Vote:
    best: Candidate
    alternatives: tuple[Candidate, ...]  # best first, excluding ``best``
    reads: int


def vote(reads: Iterable[tuple[str, float]], max_alternatives: int = 4) -> Vote:
    """Each read votes for its text with its confidence; the best text is the heaviest.

    A text's confidence is its summed weight over the number of reads, so a plate read ten times at
    0.9 scores 0.9, and one read once among ten scores at most 0.1. Ties go to the text seen first.
    """
    weights: dict[str, float] = defaultdict(float)
    count = 0
    for text, confidence in reads:
        weights[text] += confidence
        count += 1
    if count == 0:
        raise ValueError("cannot vote on a track without reads")
    ranked = sorted(weights.items(), key=lambda kv: -kv[1])  # stable: first-seen wins ties
    candidates = [Candidate(text, min(1.0, weight / count)) for text, weight in ranked]
    return Vote(candidates[0], tuple(candidates[1:1 + max_alternatives]), count)
