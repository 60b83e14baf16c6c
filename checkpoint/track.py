"""Reads → tracks: follow each plate over frames, so one vehicle makes one passage.

Greedy nearest-centre association is enough at a checkpoint, where vehicles queue one behind
another; a track ends when it has not been seen for ``max_gap_s`` (the vehicle left) or has lasted
``max_track_s`` (a vehicle stopped for a long check still gets reported).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from checkpoint.config import TrackConfig
from checkpoint.read import PlateRead
from checkpoint.vote import near


@dataclass(frozen=True)
class Sighting:
    t: float
    frame_index: int
    read: PlateRead


@dataclass(eq=False)  # identity, not field equality: tracks hold numpy frames
class Track:
    id: int
    sightings: list[Sighting] = field(default_factory=list)
    best_crop: np.ndarray | None = None   # plate crop of the most confident read (evidence)
    best_scene: np.ndarray | None = None  # its whole frame, kept on the box

    @property
    def first_t(self) -> float:
        return self.sightings[0].t

    @property
    def last_t(self) -> float:
        return self.sightings[-1].t

    @property
    def best(self) -> Sighting:
        return max(self.sightings, key=lambda s: s.read.confidence)


class Tracker:
    """Associates each frame's reads with live tracks and hands back the ones that ended."""

    def __init__(self, config: TrackConfig, frame_width: int) -> None:
        self._config = config
        self._max_jump = config.max_distance * frame_width
        self._speed = config.max_speed * frame_width  # pixels per second
        self._live: list[Track] = []
        self._ids = itertools.count(1)
        self.discarded = 0  # tracks too short to be a vehicle (single stray reads)

    def update(self, t: float, frame_index: int, reads: list[PlateRead],
               image: np.ndarray | None = None) -> list[Track]:
        """Add one frame's reads; return the tracks that ended by time ``t``."""
        ended = self._expire(t)
        free = list(self._live)
        for read in sorted(reads, key=lambda r: -r.confidence):
            track = self._nearest(free, read, t)
            if track is None:
                track = Track(next(self._ids))
                self._live.append(track)
            else:
                free.remove(track)
            self._add(track, Sighting(t, frame_index, read), image)
        return ended

    def live_boxes(self) -> list[tuple[float, float, float, float]]:
        """Where the plates being followed were last seen: the detector looks there again."""
        return [tr.sightings[-1].read.box for tr in self._live]

    def finish(self) -> list[Track]:
        """The stream ended: every live track ends now."""
        ended, self._live = self._live, []
        return self._keep(ended)

    def _nearest(self, candidates: list[Track], read: PlateRead, t: float) -> Track | None:
        cx, cy = read.centre
        best, best_score = None, 1.0
        for track in candidates:
            last = track.sightings[-1].read
            tx, ty = last.centre
            reach = self._max_jump
            if near(read.text, last.text):  # the same plate may have moved far while unread
                reach = max(reach, self._speed * (t - track.last_t))
            score = math.hypot(cx - tx, cy - ty) / reach  # ≤ 1: within reach of this track
            if score <= best_score:
                best, best_score = track, score
        return best

    def _add(self, track: Track, sighting: Sighting, image: np.ndarray | None) -> None:
        is_best = not track.sightings or sighting.read.confidence > track.best.read.confidence
        track.sightings.append(sighting)
        if is_best and image is not None:
            x1, y1, x2, y2 = (int(round(v)) for v in sighting.read.box)
            h, w = image.shape[:2]
            track.best_crop = image[max(0, y1):min(h, y2), max(0, x1):min(w, x2)].copy()
            track.best_scene = image.copy()

    def _expire(self, t: float) -> list[Track]:
        cfg = self._config
        ended = [tr for tr in self._live
                 if t - tr.last_t > cfg.max_gap_s or t - tr.first_t > cfg.max_track_s]
        self._live = [tr for tr in self._live if tr not in ended]
        return self._keep(ended)

    def _keep(self, ended: list[Track]) -> list[Track]:
        kept = [tr for tr in ended if len(tr.sightings) >= self._config.min_reads]
        self.discarded += len(ended) - len(kept)
        return kept
