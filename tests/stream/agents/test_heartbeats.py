"""Heartbeats → checkpoint and camera status alerts, on a fake state and outbox."""
import asyncio
from datetime import timedelta

from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import CameraStatus, Heartbeat
from stream.agents.heartbeats import raise_offline, record_heartbeat
from tests.stream.fakes import runtime


def beat(state: str = "running", seconds_ago: float = 0.0, error: str | None = None) -> Heartbeat:
    return Heartbeat(checkpoint_id="cp", time=utcnow() - timedelta(seconds=seconds_ago),
                     spool_depth=0,
                     cameras=[CameraStatus(camera_id="g1", state=state, last_error=error)])


def test_a_failing_camera_is_flagged_once_and_its_recovery_closes_the_alert():
    rt = runtime()
    asyncio.run(record_heartbeat(rt, beat("failed", error="cannot open")))
    asyncio.run(record_heartbeat(rt, beat("failed", error="cannot open")))
    asyncio.run(record_heartbeat(rt, beat("running")))
    kinds = [a.kind for a in rt.outbox.alerts]
    assert kinds == ["camera-degraded", "camera-recovered"]
    assert rt.outbox.alerts[0].alert_id == rt.outbox.alerts[1].alert_id
    assert rt.state.cameras == {}


def test_a_silent_box_goes_offline_once_and_comes_back_with_its_next_heartbeat():
    rt = runtime()
    asyncio.run(record_heartbeat(rt, beat(seconds_ago=rt.config.offline_after_s + 5)))
    asyncio.run(raise_offline(rt))
    asyncio.run(raise_offline(rt))
    asyncio.run(record_heartbeat(rt, beat()))
    assert [a.kind for a in rt.outbox.alerts] == ["checkpoint-offline", "checkpoint-online"]
    assert rt.state.offline == {}
