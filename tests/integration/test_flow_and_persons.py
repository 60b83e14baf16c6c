"""Flow windows, the flow early warning and person-list checks on the real worker."""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

from kafka import KafkaProducer

from checkpoint.wire.base import encode
from checkpoint.wire.edge import IdCheck, VehiclePassage
from checkpoint.wire.pseudonym import PseudonymKey, subject_tag
from checkpoint.wire.topics import IDCHECKS, PASSAGES, WATCHLIST
from stream import keys
from stream.flow import flow_warning, window_start
from stream.flow_cli import read_flow
from stream.wire import Alert, StatusAlert, WatchlistEntry, alert_id_for

from .conftest import FLOW_CHECKPOINT
from .test_alerts import processed
from .test_edge_outage import wait_for

KEY = PseudonymKey("k-test", b"integration-test-secret")


def publish(kafka: str, topic: str, events: list[tuple[bytes, object]]) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all")
    for key, event in events:
        producer.send(topic, key=key, value=encode(event)).get(timeout=30)
    producer.close()


def test_flow_windows_count_each_vehicle_once_and_warn_once(kafka, redis_client, worker):
    # A random minute of the last 60 hours (inside the history's window), so reruns on the
    # same Redis never share a window.
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(
        minutes=random.randrange(60, 60 * 60))
    plates = ["KA101AA", "KA102AA", "B303CC", "M404DD", "KA105AA"]  # 2 of 5 from outside "KA"
    passages = [VehiclePassage(
        checkpoint_id=FLOW_CHECKPOINT, lane="1", camera_id="c1", plate=plate, plate_confidence=0.9,
        first_seen=minute + timedelta(seconds=5 * i), last_seen=minute + timedelta(seconds=5 * i + 20),
        dwell_seconds=20.0 + 10 * i) for i, plate in enumerate(plates)]
    events = [(FLOW_CHECKPOINT.encode(), p) for p in passages]
    publish(kafka, PASSAGES.name, events + events[:2])  # two replayed duplicates
    wait_for("the passages", lambda: processed(*passages), 60)
    time.sleep(1)  # the duplicates are behind them on the same partition

    start = window_start(minute.timestamp(), "1m")
    (window,) = [w for w in read_flow(redis_client, FLOW_CHECKPOINT, "1m", last=100_000)
                 if w.start.timestamp() == start]
    assert window.vehicles == 5  # the duplicates are not counted again
    assert window.seconds_per_vehicle == sum(20.0 + 10 * i for i in range(5)) / 5
    assert window.headway_s == 12.0
    assert (window.known_region, window.outside, window.outside_share) == (5, 2, 0.4)
    hourly = [w for w in read_flow(redis_client, FLOW_CHECKPOINT, "1h", last=100_000)
              if w.start.timestamp() == window_start(minute.timestamp(), "1h")]
    assert hourly and hourly[0].vehicles >= 5

    expected = flow_warning(FLOW_CHECKPOINT, "1m", start, 4, 3, minute)
    body = wait_for("the flow warning", lambda: redis_client.get(
        keys.STATUS_ALERT_KEY.format(alert_id=expected.alert_id)), 30)
    warning = StatusAlert.model_validate_json(body)
    assert warning.kind == "flow-warning" and warning.flow.threshold == 3
    assert warning.flow.vehicles == 4  # raised by the fourth vehicle, once for the window


def test_a_person_on_a_list_raises_one_alert_per_visit(kafka, redis_client, worker, checkpoint_id):
    tag = subject_tag("icao-td3", f"T{random.randrange(10**8):08d}", KEY)
    entry = WatchlistEntry(entry_id=f"{checkpoint_id}-person", list="persons", subject_tag=tag,
                           key_id=KEY.key_id, category="control-orders", priority=2,
                           disposal="verify identity, call the duty officer", created_by="pytest")
    publish(kafka, WATCHLIST.name, [(entry.entry_id.encode(), entry)])
    time.sleep(2)  # the worker follows the watchlist topic live

    def check(key_id: str = KEY.key_id, where: str = checkpoint_id) -> IdCheck:
        return IdCheck(checkpoint_id=where, lane="1", time=datetime.now(timezone.utc),
                       document_type="icao-td3", verdict="valid", subject_tag=tag, key_id=key_id)

    first, again, other_key = check(), check(), check("k-other")
    publish(kafka, IDCHECKS.name, [(checkpoint_id.encode(), c) for c in (first, again, other_key)])
    wait_for("the ID checks", lambda: redis_client.exists(
        *(keys.SEEN_IDCHECK.format(event_id=c.event_id) for c in (first, again, other_key))) == 3,
        60)
    body = redis_client.get(keys.ALERT_KEY.format(alert_id=alert_id_for(entry.entry_id,
                                                                        first.event_id)))
    alert = Alert.model_validate_json(body)
    assert (alert.idcheck_id, alert.plate, alert.match.type, alert.match.read) == \
        (first.event_id, None, "exact", tag)
    assert alert.priority == 2 and alert.disposal.startswith("verify identity")
    for later in (again, other_key):  # same visit: attached; other key: not this person's tag
        assert not redis_client.exists(keys.ALERT_KEY.format(
            alert_id=alert_id_for(entry.entry_id, later.event_id)))
    assert redis_client.smembers(keys.ALERT_PASSAGES.format(alert_id=alert.alert_id)) == \
        {again.event_id}
    stats = redis_client.hgetall(keys.CHECKPOINT_STATS.format(checkpoint_id=checkpoint_id))
    assert stats["idchecks_valid"] == "3"
