from datetime import datetime, timezone

from checkpoint.wire.base import encode
from checkpoint.wire.edge import CameraStatus
from stream.status import camera_alert, offline_alert, online_alert
from stream.wire import decode_alert

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


def test_offline_and_online_share_an_alert_id_derived_from_the_outage():
    a = offline_alert("cp-1", NOW.timestamp() - 95, NOW)
    b = offline_alert("cp-1", NOW.timestamp() - 95, NOW)
    assert a == b  # two workers noticing the same outage publish the same event
    assert a.kind == "checkpoint-offline" and a.detail == "no heartbeat for 95 s"
    closed = online_alert(a.alert_id, "cp-1", NOW)
    assert closed.alert_id == a.alert_id and closed.event_id != a.event_id
    assert offline_alert("cp-1", NOW.timestamp() - 10, NOW).alert_id != a.alert_id
    assert decode_alert(encode(closed)) == closed


def test_camera_state_changes():
    failed = CameraStatus(camera_id="c1", state="failed", last_error="cannot open")
    running = CameraStatus(camera_id="c1", state="running")
    raised = camera_alert("cp", failed, None, NOW)
    assert raised.kind == "camera-degraded" and raised.detail == "failed: cannot open"
    assert camera_alert("cp", failed, raised.alert_id, NOW) is None  # still down: nothing new
    recovered = camera_alert("cp", running, raised.alert_id, NOW)
    assert recovered.kind == "camera-recovered" and recovered.alert_id == raised.alert_id
    assert camera_alert("cp", running, None, NOW) is None
    assert camera_alert("cp", CameraStatus(camera_id="c1", state="reconnecting"), None,
                        NOW).kind == "camera-degraded"


def test_alerts_written_before_status_alerts_still_decode():
    import json

    import pytest

    from checkpoint.wire.base import ContractError
    from stream.wire import Alert, MatchExplanation, WatchlistEntry

    entry = WatchlistEntry(entry_id="e", list="l", plate="KA482BC", category="c", priority=1,
                           disposal="d", created_by="t")
    alert = Alert(alert_id="a", raised_at=NOW, checkpoint_id="cp", entry=entry,
                  match=MatchExplanation(type="exact", read="KA482BC"), priority=1, disposal="d")
    old = json.loads(encode(alert))
    del old["kind"]
    assert decode_alert(json.dumps(old).encode()) == alert
    with pytest.raises(ContractError):
        decode_alert(b"[]")
    with pytest.raises(ContractError):
        decode_alert(None)
