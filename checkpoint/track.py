"""Reads → tracks: follow each plate over frames, so one vehicle makes one passage.

Greedy nearest-centre association is enough at a checkpoint, where vehicles queue one behind
another; a track ends when it has not been seen for ``max_gap_s`` (the vehicle left) or has lasted
``max_track_s`` (a vehicle stopped for a long check still gets reported). The tracker is geometry
and reads only: each step says which tracks ended, which were too short to be a vehicle, and
which got a new best read, so the camera loop can keep that frame's evidence.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from checkpoint.config import TrackConfig
from checkpoint.read import PlateRead
from checkpoint.vote import near


@dataclass(frozen=True)
class Sighting:
    t: float
    frame_index: int
    read: PlateRead


@dataclass(eq=False)  # identity, not field equality
class Track:
    id: int
    sightings: list[Sighting] = field(default_factory=list)
    best_index: int = 0   # the most confident sighting (the first of equals)

    @property
    def first_t(self) -> float:
        return self.sightings[0].t

    @property
    def last_t(self) -> float:
        return self.sightings[-1].t

    @property
    def best(self) -> Sighting:
        return self.sightings[self.best_index]

    def add(self, sighting: Sighting) -> bool:
        """Append a sighting; True when it is the track's new best."""
        self.sightings.append(sighting)
        if len(self.sightings) == 1 or sighting.read.confidence > self.best.read.confidence:
            self.best_index = len(self.sightings) - 1
            return True
        return False


@dataclass(frozen=True)
class TrackerStep:
    """What one frame's update changed."""

    ended: list[Track]       # vehicles: tracks with enough reads that ended by this frame
    discarded: list[Track]   # tracks that ended too short to be a vehicle (stray reads)
    improved: list[Track]    # live tracks whose best read is from this frame


class Tracker:
    """Associates each frame's reads with live tracks and hands back the ones that ended."""

    def __init__(self, config: TrackConfig, frame_width: int) -> None:
        self._config = config
        self._max_jump = config.max_distance * frame_width
        self._speed = config.max_speed * frame_width  # pixels per second
        self._live: list[Track] = []
        self._ids = itertools.count(1)

    def update(self, t: float, frame_index: int, reads: list[PlateRead]) -> TrackerStep:
        """Add one frame's reads; say which tracks ended by time ``t``."""
        cfg = self._config
        gone = [tr for tr in self._live
                if t - tr.last_t > cfg.max_gap_s or t - tr.first_t > cfg.max_track_s]
        self._live = [tr for tr in self._live if tr not in gone]
        free = list(self._live)
        improved = []
        for read in sorted(reads, key=lambda r: -r.confidence):
            track = self._nearest(free, read, t)
            if track is None:
                track = Track(next(self._ids))
                self._live.append(track)
            else:
                free.remove(track)
            if track.add(Sighting(t, frame_index, read)):
                improved.append(track)
        return self._step(gone, improved)

    def live_boxes(self) -> list[tuple[float, float, float, float]]:
        """Where the plates being followed were last seen: the detector looks there again."""
        return [tr.sightings[-1].read.box for tr in self._live]

    def finish(self) -> TrackerStep:
        """The stream ended: every live track ends now."""
        gone, self._live = self._live, []
        return self._step(gone, [])

    def _step(self, gone: list[Track], improved: list[Track]) -> TrackerStep:
        enough = [tr for tr in gone if len(tr.sightings) >= self._config.min_reads]
        short = [tr for tr in gone if len(tr.sightings) < self._config.min_reads]
        return TrackerStep(enough, short, improved)

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
