"""Heartbeats → status alerts: a checkpoint that stops reporting, a camera that fails.

Pure decisions here; ``stream.app`` does the Redis and Kafka around them. Alert and event ids are
derived from what happened (checkpoint, camera, when it started), so workers that notice the same
outage at once publish the same event, which consumers drop as a duplicate.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from checkpoint.wire.edge import CameraStatus
from stream.wire import StatusAlert

_NAMESPACE = uuid.UUID("5b0f5a52-6b61-6b6f-7500-737461747573")
DEGRADED_STATES = ("failed", "reconnecting")


def derived_id(*parts: object) -> str:
    """An id from what happened: workers that notice the same thing publish the same event."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in parts)))


def offline_alert(checkpoint_id: str, last_beat: float, now: datetime) -> StatusAlert:
    alert_id = derived_id("offline", checkpoint_id, last_beat)
    silent = now.timestamp() - last_beat
    return StatusAlert(event_id=derived_id(alert_id, "raised"), kind="checkpoint-offline",
                       alert_id=alert_id, raised_at=now, checkpoint_id=checkpoint_id,
                       detail=f"no heartbeat for {silent:.0f} s")


def online_alert(alert_id: str, checkpoint_id: str, now: datetime) -> StatusAlert:
    return StatusAlert(event_id=derived_id(alert_id, "closed"), kind="checkpoint-online",
                       alert_id=alert_id, raised_at=now, checkpoint_id=checkpoint_id,
                       detail="heartbeats are back")


def camera_alert(checkpoint_id: str, camera: CameraStatus, open_alert: str | None,
                 now: datetime) -> StatusAlert | None:
    """camera-degraded when a camera fails or reconnects, camera-recovered when it runs again
    after that; None when nothing changed."""
    degraded = camera.state in DEGRADED_STATES
    if degraded and open_alert is None:
        alert_id = derived_id("camera", checkpoint_id, camera.camera_id, now.timestamp())
        detail = camera.state + (f": {camera.last_error}" if camera.last_error else "")
        return StatusAlert(event_id=derived_id(alert_id, "raised"), kind="camera-degraded",
                           alert_id=alert_id, raised_at=now, checkpoint_id=checkpoint_id,
                           camera_id=camera.camera_id, detail=detail)
    if not degraded and open_alert is not None:
        return StatusAlert(event_id=derived_id(open_alert, "closed"), kind="camera-recovered",
                           alert_id=open_alert, raised_at=now, checkpoint_id=checkpoint_id,
                           camera_id=camera.camera_id, detail=f"camera is {camera.state} again")
    return None
