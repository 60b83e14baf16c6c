"""Flow per checkpoint in 1-minute and 1-hour tumbling windows, and the flow early warning.

Pure: window arithmetic, the home-region test and the warning decision. The passages agent
counts each passage once into Redis (one script with the passage's de-duplication, so a replay
after a crash never counts twice); consoles and ``kakou-flow`` read the windows back with
``stream.flow_cli.read_flow``. Windows go by the passage's ``last_seen`` (event time), so
footage replayed or a backlog drained after an outage lands in the windows the vehicles really
passed in.

Per window: vehicles; seconds per vehicle (mean dwell at the checkpoint: the time it takes to
clear one vehicle, which the seed city aimed to keep near 30 s); headway (window length / vehicles);
and the share of vehicles from outside the checkpoint's home region (by plate prefix, e.g. 鲁A
for Jinan), among the vehicles whose plate says where they come from.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Literal

from stream.status import derived_id
from stream.wire import FlowFigures, StatusAlert

Window = Literal["1m", "1h"]
WINDOW_S: dict[Window, int] = {"1m": 60, "1h": 3600}
#: How long window figures are kept: counts only, no plates, so longer than passages (72 h).
RETENTION_S: dict[Window, int] = {"1m": 7 * 86400, "1h": 35 * 86400}


def window_start(ts: float, window: Window) -> int:
    """Start (epoch s) of the tumbling window holding ``ts``."""
    size = WINDOW_S[window]
    return int(ts // size) * size


def outside_home(plate: str, home_prefixes: tuple[str, ...]) -> bool | None:
    """True for a plate from outside the home region, None when no home region is configured."""
    if not home_prefixes:
        return None
    return not plate.startswith(home_prefixes)


@dataclass(frozen=True)
class FlowWindow:
    checkpoint_id: str
    window: Window
    start: datetime
    vehicles: int
    dwell_s: float        # summed over the window's vehicles
    known_region: int     # vehicles whose plate could be placed (home prefixes configured)
    outside: int          # of those, from outside the home region

    @property
    def seconds_per_vehicle(self) -> float | None:
        return self.dwell_s / self.vehicles if self.vehicles else None

    @property
    def headway_s(self) -> float | None:
        return WINDOW_S[self.window] / self.vehicles if self.vehicles else None

    @property
    def outside_share(self) -> float | None:
        return self.outside / self.known_region if self.known_region else None

    def to_json(self) -> dict:
        return {**asdict(self), "start": self.start.isoformat(),
                "seconds_per_vehicle": self.seconds_per_vehicle, "headway_s": self.headway_s,
                "outside_share": self.outside_share}


def flow_warning(checkpoint_id: str, window: Window, start: int, vehicles: int,
                 threshold: int | None, now: datetime) -> StatusAlert | None:
    """A flow-warning once a window's count passes the checkpoint's threshold, else None.

    Its id comes from (checkpoint, window, start), so each window warns at most once however
    many passages follow or workers notice."""
    if threshold is None or vehicles <= threshold:
        return None
    alert_id = derived_id("flow", checkpoint_id, window, start)
    began = datetime.fromtimestamp(start, timezone.utc)
    return StatusAlert(
        event_id=alert_id, kind="flow-warning", alert_id=alert_id, raised_at=now,
        checkpoint_id=checkpoint_id,
        detail=f"{vehicles} vehicles in the {window} window from {began:%H:%M} UTC, "
               f"above the threshold of {threshold}",
        flow=FlowFigures(window=window, window_start=began, vehicles=vehicles,
                         threshold=threshold))
