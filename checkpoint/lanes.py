"""Which vehicle stands in each lane: the lane's latest passage, so an ID check taken there links
to it (the IdCheck's ``passage_id``).

A passage observer of the box; it keeps one passage id and time per lane, never a history.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from checkpoint.wire.edge import VehiclePassage


@dataclass(frozen=True)
class LanePassage:
    passage_id: str
    last_seen: datetime


def open_passage(latest: LanePassage | None, at: datetime, window: timedelta) -> str | None:
    """The passage a check at ``at`` belongs to: the lane's latest, if it was seen at most
    ``window`` before (a vehicle stopped for its check is seen last as it drew up)."""
    if latest is None or not timedelta(0) <= at - latest.last_seen <= window:
        return None
    return latest.passage_id


class LaneBoard:
    """The latest passage of each lane, fed by the box's cameras (``observe``) and read by the
    terminal API (``passage_at``) from other threads."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._latest: dict[str, LanePassage] = {}
        self._lock = threading.Lock()

    def observe(self, passage: VehiclePassage) -> None:
        with self._lock:
            current = self._latest.get(passage.lane)
            if current is None or passage.last_seen >= current.last_seen:
                self._latest[passage.lane] = LanePassage(passage.event_id, passage.last_seen)

    def passage_at(self, lane: str, at: datetime) -> str | None:
        with self._lock:
            latest = self._latest.get(lane)
        return open_passage(latest, at, self.window)
