"""A worker killed with SIGKILL mid-stream and restarted: no alert lost, none raised twice."""
from __future__ import annotations

import signal
import threading
import time
from collections import defaultdict

from kafka import KafkaConsumer, TopicPartition

from checkpoint.wire.topics import ALERTS
from stream import keys
from stream.wire import Alert, alert_id_for, decode_alert

from .conftest import stored
from .test_alerts import passage, processed, send
from .test_edge_outage import wait_for

HITS = {"KA482BC": "demo-stolen-001", "WX963LA": "demo-wanted-003"}


def raise_events(bootstrap: str, alert_ids: set[str]) -> dict[str, set[str]]:
    """alert id -> event ids of its raise messages (no history yet) on kakou.alerts."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=3000)
    parts = [TopicPartition(ALERTS.name, p) for p in range(ALERTS.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    found: dict[str, set[str]] = defaultdict(set)
    for m in consumer:
        alert = decode_alert(m.value)
        if isinstance(alert, Alert) and alert.alert_id in alert_ids and not alert.history:
            found[alert.alert_id].add(alert.event_id)
    consumer.close()
    return found


def test_sigkill_mid_stream_loses_no_alert_and_raises_none_twice(kafka, redis_client, worker,
                                                                  checkpoint_id, figure):
    # every hit at its own checkpoint, so the cool-down does not fold them into one visit
    passages = [passage(f"{checkpoint_id}-{i}", list(HITS)[i % 2] if i % 3 == 0 else f"NO{i:04d}X")
                for i in range(240)]
    # Sent in small chunks as a checkpoint would, so the worker (which handles a batch in one
    # go) is killed part-way through the stream, not after it.
    sender = threading.Thread(target=lambda: [
        (send(kafka, *passages[i:i + 10]), time.sleep(0.1)) for i in range(0, len(passages), 10)])
    sender.start()
    wait_for("the worker to be part-way through", lambda: len(
        stored(*(p.event_id for p in passages[:60]))) >= 5, 60, 0.05)
    worker.stop(signal.SIGKILL)
    done_at_kill = len(stored(*(p.event_id for p in passages)))
    assert done_at_kill < len(passages), "killed too late to test anything"
    sender.join()
    worker.start()
    wait_for("every passage after the restart", lambda: processed(*passages), 180, 1)

    expected = {alert_id_for(HITS[p.plate], p.event_id) for p in passages if p.plate in HITS}
    assert len(expected) == 80
    for alert_id in expected:
        assert redis_client.exists(keys.ALERT_KEY.format(alert_id=alert_id)), "alert lost"
    raised = wait_for("every raise on kakou.alerts", lambda: (r := raise_events(kafka, expected))
                      and set(r) == expected and r, 60, 1)
    assert all(events == {alert_id} for alert_id, events in raised.items()), \
        "a raise went out twice with different event ids"
    figure(f"stream worker SIGKILLed after {done_at_kill} of {len(passages)} passages, "
           f"restarted: passages lost 0; {len(expected)} alerts, lost 0, duplicated 0")
