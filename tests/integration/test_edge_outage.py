"""The edge replays the sample clip while Kafka is down for part of the run.

Every passage must reach the stream exactly once (by event id), and every expected alert must be
raised exactly once, on the real broker and Redis.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from checkpoint.box import Checkpoint
from checkpoint.config import load_config
from checkpoint.lab.sampleclip import BUSY_PLATES, render_clip
from checkpoint.publish import Publisher
from checkpoint.read import build_reader
from checkpoint.spool import Spool
from checkpoint.wire.edge import VehiclePassage
from checkpoint.wire.topics import ALERTS
from stream import keys
from stream.watchlist import parse_csv
from stream.wire import Alert, decode_alert

from .conftest import ROOT, services, stored

EXPECTED_HITS = {"KA482BC", "GD37TRN", "WX963LA"}  # active entries of the sample watchlist


def wait_for(what: str, check, timeout_s: float, interval_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def watchlist_alerts(bootstrap: str) -> list[Alert]:
    """Every watchlist alert message on kakou.alerts, read from the beginning, in order per
    partition (so per alert)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=3000)
    parts = [TopicPartition(ALERTS.name, p) for p in range(ALERTS.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    found = [decode_alert(m.value) for m in consumer]
    consumer.close()
    return [a for a in found if isinstance(a, Alert)]


def alerts_on_topic(bootstrap: str, checkpoint_id: str) -> list[Alert]:
    """Every alert message for this checkpoint on kakou.alerts, read from the beginning."""
    return [a for a in watchlist_alerts(bootstrap) if a.checkpoint_id == checkpoint_id]


#: How long the broker stays down: longer than the clip, so most passages are made offline.
OUTAGE_S = 120


def test_replay_with_kafka_outage_delivers_every_passage_and_alert_once(
        kafka, redis_client, worker, checkpoint_id, can_stop_kafka, tmp_path, figure):
    # twelve vehicles over ~28 s, replayed at camera speed: passages keep coming while the broker
    # takes its time to stop, so some are made during the outage however slow the machine is
    truth = render_clip(tmp_path / "clip.mp4", plates=BUSY_PLATES, seed=3)
    sample = parse_csv((ROOT / "configs" / "watchlist-sample.csv").read_text(), "t")
    assert EXPECTED_HITS <= {e.plate for e in sample.entries}
    cfg = load_config(ROOT / "configs" / "checkpoint-demo-eu.yaml")
    cfg = cfg.model_copy(update={
        "checkpoint_id": checkpoint_id, "spool_dir": tmp_path / "spool",
        "evidence_dir": tmp_path / "evidence", "heartbeat_seconds": 1.0,
        "cameras": [cfg.cameras[0].model_copy(update={"source": str(truth.path)})],
    })
    spool = Spool(cfg.spool_dir / "edge.sqlite")
    publisher = Publisher(spool, kafka, send_timeout_s=5.0, max_backoff_s=1.0)
    passages: list[VehiclePassage] = []
    box = Checkpoint(cfg, publisher, lambda: build_reader(cfg.reader), [passages.append])
    replay = threading.Thread(target=box.run, kwargs={"realtime": True})
    replay.start()
    try:
        wait_for("the first passage to be acknowledged by Kafka",
                 lambda: passages and publisher.depth() == 0 and publisher.status.published, 120)
        sent_before_outage = len(passages)
        services("stop", "kafka")
        stopped = time.monotonic()
        wait_for("two more passages while Kafka is down",
                 lambda: len(passages) >= sent_before_outage + 2, 120)
        assert publisher.depth() >= 2, "passages made during the outage wait in the spool"
        wait_for("the uplink to report the outage", lambda: not publisher.status.online, 60)
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))
        spooled = publisher.depth()
        services("start", "kafka")
        replay.join(timeout=300)
        assert not replay.is_alive()
        assert publisher.wait_drained(120), f"{publisher.depth()} events still spooled"
    finally:
        services("start", "kafka")  # idempotent: never leave the session without a broker
        replay.join(timeout=300)
        publisher.close()

    # one passage per vehicle, with the right plate
    assert sorted(p.plate for p in passages) == sorted(v.plate for v in truth.vehicles)
    ids = {p.event_id for p in passages}

    # every passage reached the stream, and was counted exactly once
    wait_for("the stream to record every passage", lambda: stored(*ids) == ids,
             120, 0.5)
    stats = redis_client.hgetall(keys.CHECKPOINT_STATS.format(checkpoint_id=checkpoint_id))
    assert int(stats["passages"]) == len(ids)

    # every expected alert exactly once: in Redis and on the alerts topic
    on_topic = wait_for("three alerts on kakou.alerts",
                        lambda: (a := alerts_on_topic(kafka, checkpoint_id)) and
                        len(a) >= len(EXPECTED_HITS) and a, 60, 1.0)
    assert sorted(a.plate for a in on_topic) == sorted(EXPECTED_HITS)
    assert len({a.alert_id for a in on_topic}) == len(on_topic)
    for alert in on_topic:
        in_redis = Alert.model_validate_json(
            redis_client.get(keys.ALERT_KEY.format(alert_id=alert.alert_id)))
        assert in_redis.alert_id == alert.alert_id and in_redis.passage_id in ids
        assert in_redis.match.type == "exact" and in_redis.evidence.plate_jpeg_b64
    figure(f"Kafka down {OUTAGE_S} s during a camera-speed replay: {len(ids)} passages "
           f"({spooled} events still spooled when it came back), lost 0, duplicated 0; "
           f"{len(on_topic)} alerts, "
           "lost 0, duplicated 0")

    # the box reported itself: heartbeats with its spool depth reached the stream
    beat = json.loads(redis_client.get(keys.HEARTBEAT_KEY.format(checkpoint_id=checkpoint_id)))
    assert beat["cameras"][0]["camera_id"] == cfg.cameras[0].id
    assert Path(passages[0].evidence.scene_ref).is_file()
