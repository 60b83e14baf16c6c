"""What the statistics page shows, read from where it is already kept: flow windows, reject
counts and heartbeats from Redis, hits per hour from the history. Reads only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis

from checkpoint.wire.edge import Heartbeat
from stream import keys
from stream.flow import FlowWindow
from stream.flow_cli import read_flow
from stream.status import DEGRADED_STATES


@dataclass(frozen=True)
class CameraState:
    camera_id: str
    state: str            #: online, degraded (failed or reconnecting) or offline (box silent)
    detail: str


@dataclass(frozen=True)
class CheckpointState:
    checkpoint_id: str
    state: str            #: online or offline
    last_heartbeat: datetime | None
    spool_depth: int | None
    spool_full: bool              #: the box's spool disk is full (events held, then dropped)
    spool_dropped: int
    cameras: list[CameraState]


@dataclass(frozen=True)
class CheckpointFigures:
    checkpoint_id: str
    hours: list[FlowWindow]           #: the last 24 one-hour windows with traffic
    passages: int
    hits: dict[datetime, tuple[int, int]]  #: per hour: (hits, passages), from the history
    rejects: dict[str, int]           #: reject reason -> count
    camera_rejects: dict[str, dict[str, int]]  #: camera -> reject reason -> count


def checkpoint_ids(client: redis.Redis, configured: tuple[str, ...]) -> list[str]:
    """Every checkpoint that sent a heartbeat, and those the config names."""
    return sorted(set(client.zrange(keys.CHECKPOINTS, 0, -1)) | set(configured))


def checkpoint_state(client: redis.Redis, checkpoint_id: str, offline_after_s: float,
                     now: datetime) -> CheckpointState:
    body = client.get(keys.HEARTBEAT_KEY.format(checkpoint_id=checkpoint_id))
    beat = Heartbeat.model_validate_json(body) if body else None
    silent = beat is None or (now - beat.time).total_seconds() > offline_after_s
    cameras = [] if beat is None else [
        CameraState(c.camera_id, "offline" if silent else
                    "degraded" if c.state in DEGRADED_STATES else "online",
                    f"{c.state}, {c.fps_in:.1f} fps in" + (f", {c.last_error}"
                                                           if c.last_error else ""))
        for c in beat.cameras]
    return CheckpointState(checkpoint_id, "offline" if silent else "online",
                           beat.time if beat else None, beat.spool_depth if beat else None,
                           bool(beat and beat.spool_full), beat.spool_dropped if beat else 0,
                           cameras)


def checkpoint_figures(client: redis.Redis, checkpoint_id: str,
                       hits: dict[datetime, tuple[int, int]]) -> CheckpointFigures:
    stats = client.hgetall(keys.CHECKPOINT_STATS.format(checkpoint_id=checkpoint_id))
    rejects = client.hgetall(keys.REJECTS_BY_CHECKPOINT.format(checkpoint_id=checkpoint_id))
    cameras: dict[str, dict[str, int]] = {}
    for key, count in client.hgetall(keys.REJECTS_BY_CAMERA.format(
            checkpoint_id=checkpoint_id)).items():
        camera, _, reason = key.partition("|")
        cameras.setdefault(camera, {})[reason] = int(count)
    return CheckpointFigures(checkpoint_id, read_flow(client, checkpoint_id, "1h", 24),
                             int(stats.get("passages", 0)), hits,
                             {k: int(v) for k, v in rejects.items()}, dict(sorted(cameras.items())))


def rejects_by_list(client: redis.Redis) -> dict[str, dict[str, int]]:
    prefix = keys.REJECTS_BY_LIST.format(list="")
    found = {}
    for key in client.scan_iter(match=prefix + "*", count=1000):
        found[key[len(prefix):]] = {k: int(v) for k, v in client.hgetall(key).items()}
    return dict(sorted(found.items()))
