"""Malformed and schema-violating messages on every input topic land in kakou.deadletter with
their reason and origin, and the worker keeps processing good messages."""
from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timezone

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from checkpoint.wire.base import encode
from checkpoint.wire.edge import VehiclePassage
from checkpoint.wire.topics import DEADLETTER, HEARTBEATS, IDCHECKS, PASSAGES, WATCHLIST
from stream import keys
from stream.wire import DeadLetter

from .conftest import stored
from .test_edge_outage import wait_for

NOW = datetime.now(timezone.utc)


def good_passage(checkpoint_id: str, plate: str = "KA482BC") -> VehiclePassage:
    return VehiclePassage(checkpoint_id=checkpoint_id, lane="1", camera_id="c1", first_seen=NOW,
                          last_seen=NOW, plate=plate, plate_confidence=0.9, dwell_seconds=0.0)


def bad_messages(checkpoint_id: str) -> dict[str, tuple[str, bytes | None, str]]:
    """key -> (topic, value, a word the dead letter's reason must contain)."""
    passage = json.loads(encode(good_passage(checkpoint_id)))
    tag = uuid.uuid4().hex[:8]
    return {
        f"{tag}-p-json": (PASSAGES.name, b"{not json", "Invalid JSON"),
        f"{tag}-p-schema": (PASSAGES.name, json.dumps({**passage, "plate": ""}).encode(), "plate"),
        f"{tag}-p-version": (PASSAGES.name, json.dumps({**passage, "schema_version": 9}).encode(),
                             "schema_version"),
        f"{tag}-p-null": (PASSAGES.name, None, "empty message"),
        f"{tag}-i-json": (IDCHECKS.name, b"\xff\xfe", "Invalid JSON"),
        f"{tag}-i-schema": (IDCHECKS.name, json.dumps({
            "checkpoint_id": checkpoint_id, "lane": "1", "time": NOW.isoformat(),
            "document_type": "cn-resident-id", "verdict": "valid",
            "subject_tag": "110101199003077777"}).encode(), "subject_tag"),
        f"{tag}-h-schema": (HEARTBEATS.name, json.dumps({"checkpoint_id": checkpoint_id}).encode(),
                            "time"),
        f"{tag}-w-json": (WATCHLIST.name, b"]]", "Invalid JSON"),
        f"{tag}-w-schema": (WATCHLIST.name, json.dumps({
            "entry_id": f"{tag}-w", "list": "x", "plate": "AB123", "category": "x", "priority": 9,
            "disposal": "x", "created_by": "t"}).encode(), "priority"),
    }


def dead_letters(bootstrap: str, keys_wanted: set[str]) -> dict[str, DeadLetter]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=2000)
    parts = [TopicPartition(DEADLETTER.name, p) for p in range(DEADLETTER.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    found = {}
    for m in consumer:
        key = (m.key or b"").decode()
        if key in keys_wanted:
            found[key] = DeadLetter.model_validate_json(m.value)
    consumer.close()
    return found


def test_bad_messages_are_dead_lettered_and_good_ones_still_processed(
        kafka, redis_client, worker, checkpoint_id):
    bad = bad_messages(checkpoint_id)
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all")
    sent = {}
    for key, (topic, value, _) in bad.items():
        meta = producer.send(topic, key=key.encode(), value=value).get(timeout=30)
        sent[key] = (meta.topic, meta.partition, meta.offset)
    good = good_passage(checkpoint_id)
    producer.send(PASSAGES.name, key=checkpoint_id.encode(), value=encode(good)).get(timeout=30)
    producer.close()

    wait_for("the good passage after the bad ones", lambda: stored(good.event_id), 60)
    letters = wait_for("a dead letter for every bad message",
                       lambda: (d := dead_letters(kafka, set(bad))) and len(d) == len(bad) and d,
                       60, 1.0)
    for key, (topic, value, reason) in bad.items():
        letter = letters[key]
        assert (letter.source_topic, letter.source_partition, letter.source_offset) == sent[key]
        assert reason in letter.error, f"{key}: {letter.error!r} should mention {reason!r}"
        original = base64.b64decode(letter.value_b64) if letter.value_b64 is not None else None
        assert original == value, f"{key}: the original bytes are kept whole"
    assert worker.proc.poll() is None, "the worker is still running"


def test_dead_letters_are_counted_per_topic(kafka, redis_client, worker, checkpoint_id):
    before = redis_client.hgetall(keys.DEADLETTER_STATS)
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all")
    producer.send(HEARTBEATS.name, key=b"count-test", value=b"nope").get(timeout=30)
    producer.close()
    wait_for("the heartbeat dead-letter count to rise", lambda: int(
        redis_client.hget(keys.DEADLETTER_STATS, HEARTBEATS.name) or 0) >
        int(before.get(HEARTBEATS.name, 0)), 30)
    time.sleep(1)
    assert int(redis_client.hget(keys.DEADLETTER_STATS, HEARTBEATS.name)) == \
        int(before.get(HEARTBEATS.name, 0)) + 1


def test_a_message_near_the_brokers_limit_is_dead_lettered_and_so_is_the_one_behind_it(
        kafka, redis_client, worker, checkpoint_id):
    """~900 KB of malformed JSON (the broker takes up to 1 MB) then invalid UTF-8: both reach
    kakou.deadletter, the large one by size, digest and source offset, and the worker goes on."""
    import hashlib

    tag = uuid.uuid4().hex[:8]
    huge = b'{"plate": "' + b"X" * 900_000 + b'"'
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all", max_request_size=1_000_000)
    big = producer.send(PASSAGES.name, key=f"{tag}-huge".encode(), value=huge).get(timeout=30)
    producer.send(PASSAGES.name, key=f"{tag}-utf8".encode(), value=b"\xff\xfe\xfd").get(timeout=30)
    good = good_passage(checkpoint_id, "KA900KB")
    producer.send(PASSAGES.name, key=checkpoint_id.encode(), value=encode(good)).get(timeout=30)
    producer.close()

    wait_for("the good passage behind them", lambda: stored(good.event_id), 60)
    wanted = {f"{tag}-huge", f"{tag}-utf8"}
    letters = wait_for("both dead letters", lambda: (d := dead_letters(kafka, wanted))
                       and len(d) == 2 and d, 60, 1.0)
    large = letters[f"{tag}-huge"]
    assert (large.value_b64, large.value_bytes) == (None, len(huge))
    assert large.value_sha256 == hashlib.sha256(huge).hexdigest()
    assert (large.source_partition, large.source_offset) == (big.partition, big.offset)
    assert base64.b64decode(letters[f"{tag}-utf8"].value_b64) == b"\xff\xfe\xfd"
    assert worker.proc.poll() is None, "the worker is still running"
