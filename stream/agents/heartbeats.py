"""Heartbeats → status: the agent on kakou.heartbeats keeps each box's latest heartbeat and
flags failing cameras; a task raises checkpoint-offline for boxes that fell silent.
"""
from __future__ import annotations

import faust

from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import Heartbeat
from stream import status
from stream.alerting import publish_status
from stream.app import app, heartbeats_topic
from stream.consume import consume, one_by_one
from stream.runtime import Runtime


async def record_heartbeat(rt: Runtime, beat: Heartbeat) -> None:
    """Keep the box's latest heartbeat; close its offline alert; flag cameras that fail."""
    await rt.state.record_heartbeat(beat)
    now = utcnow()
    if now.timestamp() - beat.time.timestamp() < rt.config.offline_after_s:
        open_id = await rt.state.open_offline_alert(beat.checkpoint_id)
        if open_id is not None:
            await publish_status(rt, status.online_alert(open_id, beat.checkpoint_id, now))
            await rt.state.close_offline(beat.checkpoint_id)
    for camera in beat.cameras:
        open_id = await rt.state.open_camera_alert(beat.checkpoint_id, camera.camera_id)
        change = status.camera_alert(beat.checkpoint_id, camera, open_id, now)
        if change is None:
            continue
        await publish_status(rt, change)
        if change.kind == "camera-degraded":
            await rt.state.mark_camera_degraded(beat.checkpoint_id, camera.camera_id,
                                                change.alert_id)
        else:
            await rt.state.close_camera_alert(beat.checkpoint_id, camera.camera_id)


async def raise_offline(rt: Runtime) -> None:
    """Raise checkpoint-offline for every box whose heartbeats stopped (once per outage)."""
    now = utcnow()
    silent = await rt.state.silent_checkpoints(now.timestamp() - rt.config.offline_after_s)
    for checkpoint_id, last_beat in silent:
        if await rt.state.open_offline_alert(checkpoint_id) is not None:
            continue
        alert = status.offline_alert(checkpoint_id, last_beat, now)
        await publish_status(rt, alert)
        await rt.state.mark_offline(checkpoint_id, alert.alert_id)


@app.agent(heartbeats_topic)
async def track_heartbeats(stream: faust.StreamT) -> None:
    rt = app.runtime
    await consume(rt, stream, Heartbeat, one_by_one(lambda beat: record_heartbeat(rt, beat)))


@app.task
async def watch_checkpoints() -> None:
    rt = app.runtime
    while not app.should_stop:
        await app.sleep(rt.config.status_check_s)
        await raise_offline(rt)
