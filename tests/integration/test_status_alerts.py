"""Checkpoint-offline and camera-degraded alerts from heartbeats, and their recoveries."""
from __future__ import annotations

from datetime import datetime, timezone

from kafka import KafkaProducer

from checkpoint.wire.base import encode
from checkpoint.wire.edge import CameraStatus, Heartbeat
from checkpoint.wire.topics import HEARTBEATS
from stream import keys
from stream.wire import StatusAlert

from .conftest import OFFLINE_AFTER_S
from .test_edge_outage import wait_for


def beat(kafka: str, checkpoint_id: str, state: str = "running", error: str | None = None) -> None:
    hb = Heartbeat(checkpoint_id=checkpoint_id, time=datetime.now(timezone.utc), spool_depth=0,
                   cameras=[CameraStatus(camera_id="gantry-1", state=state, last_error=error)])
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all")
    producer.send(HEARTBEATS.name, key=checkpoint_id.encode(), value=encode(hb)).get(timeout=30)
    producer.close()


def status_alert(redis_client, key: str) -> StatusAlert | None:
    alert_id = redis_client.get(key)
    body = alert_id and redis_client.get(keys.STATUS_ALERT_KEY.format(alert_id=alert_id))
    return StatusAlert.model_validate_json(body) if body else None


def test_a_box_that_stops_reporting_is_offline_until_it_beats_again(kafka, redis_client, worker,
                                                                      checkpoint_id):
    offline = keys.OFFLINE.format(checkpoint_id=checkpoint_id)
    beat(kafka, checkpoint_id)
    wait_for("the heartbeat", lambda: redis_client.zscore(keys.CHECKPOINTS, checkpoint_id), 30)
    assert redis_client.get(offline) is None
    alert = wait_for("checkpoint-offline", lambda: status_alert(redis_client, offline),
                     OFFLINE_AFTER_S + 30, 0.2)
    assert alert.kind == "checkpoint-offline" and "no heartbeat for" in alert.detail
    beat(kafka, checkpoint_id)
    wait_for("the offline alert to close", lambda: redis_client.get(offline) is None, 30)
    closed = StatusAlert.model_validate_json(
        redis_client.get(keys.STATUS_ALERT_KEY.format(alert_id=alert.alert_id)))
    assert closed.kind == "checkpoint-online" and closed.alert_id == alert.alert_id


def test_a_failing_camera_is_flagged_once_and_cleared(kafka, redis_client, worker, checkpoint_id):
    key = keys.CAMERA_DEGRADED.format(checkpoint_id=checkpoint_id, camera_id="gantry-1")
    beat(kafka, checkpoint_id, "reconnecting", "camera gantry-1: stream ended")
    first = wait_for("camera-degraded", lambda: status_alert(redis_client, key), 30)
    assert first.kind == "camera-degraded" and "stream ended" in first.detail
    beat(kafka, checkpoint_id, "failed", "camera gantry-1: cannot open")
    beat(kafka, checkpoint_id, "running")
    wait_for("the camera alert to close", lambda: redis_client.get(key) is None, 30)
    closed = StatusAlert.model_validate_json(
        redis_client.get(keys.STATUS_ALERT_KEY.format(alert_id=first.alert_id)))
    assert closed.kind == "camera-recovered"  # the failing beat in between raised nothing new
