"""Retention across every store, end to end, in a deployment of its own (its own topics, Redis
database and PostgreSQL database, so that forgetting touches no other test's data): a box
replays footage (scene images on its disk, passages on Kafka), a stream worker handles them
(alerts, flow and marks in Redis, the history in PostgreSQL); then each store's own retention
runs as at the times its policy names, and what a non-hit passage left is gone, its hits kept
by their lists' policy and a legal hold respected."""
from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import redis
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from checkpoint.box import Checkpoint
from checkpoint.config import load_config
from checkpoint.lab.sampleclip import BUSY_PLATES, render_clip
from checkpoint.publish import Publisher
from checkpoint.read import build_reader
from checkpoint.spool import Spool
from checkpoint.wire.edge import VehiclePassage
from checkpoint.wire.topics import ALL_TOPICS, PASSAGES, ensure_topics
from stream import keys
from stream.history import HistoryReader, PassageHistory
from stream.lab.worker import WorkerProcess
from stream.settings import database_url
from stream.watchlist_cli import main as watchlist_cli
from stream.wire import Alert, alert_id_for

from .conftest import ROOT
from .test_edge_outage import EXPECTED_HITS, wait_for

REDIS_DB = 12
#: Per list: the sample watchlist's stolen and wanted hits kept a year, control orders 30 days.
HIT_DAYS = {"control-orders": 30}


@pytest.fixture
def deployment(kafka, tmp_path, monkeypatch):
    """Topics, a Redis database and a PostgreSQL database of the test's own, the sample
    watchlist on them, and a worker with the list policies above."""
    prefix = f"kakou-retention-{uuid.uuid4().hex[:6]}."
    db, server = f"kakou_retention_{uuid.uuid4().hex[:8]}", database_url()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {db}")
    env = {"KAKOU_TOPIC_PREFIX": prefix,
           "REDIS_URL": f"redis://127.0.0.1:{os.environ.get('KAKOU_REDIS_PORT', '6379')}/{REDIS_DB}",
           "DATABASE_URL": server.rsplit("/", 1)[0] + "/" + db}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    topics = [t.name for t in ALL_TOPICS]
    assert all(name.startswith(prefix) for name in topics)     # only ours are deleted after
    store = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    store.flushdb()
    ensure_topics()
    assert watchlist_cli(["import", str(ROOT / "configs" / "watchlist-sample.csv"),
                          "--created-by", "pytest"]) == 0
    config = tmp_path / "stream.yaml"
    config.write_text((ROOT / "configs" / "stream.yaml").read_text()
                      + f"\nhit_retention_days: {HIT_DAYS}\n")
    worker = WorkerProcess(tmp_path / "retention-worker.log",
                           env={**env, "KAKOU_STREAM_CONFIG": str(config)})
    worker.start()
    try:
        yield store, env["DATABASE_URL"]
    finally:
        worker.stop()
        store.flushdb()
        admin = KafkaAdminClient(bootstrap_servers=kafka)
        admin.delete_topics(topics)
        admin.close()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {db} WITH (FORCE)")


def replay(tmp_path: Path, checkpoint_id: str) -> tuple[list[VehiclePassage], Checkpoint]:
    """The box's footage replayed (as fast as it reads), every passage acknowledged by Kafka."""
    truth = render_clip(tmp_path / "clip.mp4", plates=BUSY_PLATES, seed=3)
    cfg = load_config(ROOT / "configs" / "checkpoint-demo-eu.yaml")
    cfg = cfg.model_copy(update={
        "checkpoint_id": checkpoint_id, "spool_dir": tmp_path / "spool",
        "evidence_dir": tmp_path / "evidence",
        "cameras": [cfg.cameras[0].model_copy(update={"source": str(truth.path)})]})
    publisher = Publisher(Spool(cfg.spool_dir / "edge.sqlite"), send_timeout_s=5.0,
                          max_backoff_s=1.0)
    passages: list[VehiclePassage] = []
    box = Checkpoint(cfg, publisher, lambda: build_reader(cfg.reader), [passages.append])
    try:
        box.run(realtime=False)
        assert publisher.wait_drained(120), f"{publisher.depth()} events still spooled"
    finally:
        publisher.close()
    assert sorted(p.plate for p in passages) == sorted(v.plate for v in truth.vehicles)
    return passages, box


def everything_in(store: redis.Redis) -> dict[str, str]:
    """Every key of the database with all it holds, as text."""
    found = {}
    for key in store.scan_iter(count=1000):
        kind = store.type(key)
        if kind == "string":
            found[key] = store.get(key) or ""
        elif kind == "hash":
            found[key] = repr(store.hgetall(key))
        elif kind == "zset":
            found[key] = repr(store.zrange(key, 0, -1))
        elif kind == "set":
            found[key] = repr(store.smembers(key))
        elif kind == "list":
            found[key] = repr(store.lrange(key, 0, -1))
        elif kind == "stream":
            found[key] = repr(store.xrange(key))
    return found


def test_a_non_hit_passage_is_forgotten_everywhere_on_time_and_hits_by_their_policy(
        deployment, kafka, checkpoint_id, tmp_path, figure):
    store, db = deployment
    passages, box = replay(tmp_path, checkpoint_id)
    ids = {p.event_id for p in passages}
    history = HistoryReader(db)
    wait_for("the history to hold every passage", lambda: history.stored(list(ids)) == ids,
             120, 0.5)
    hits = {p.event_id: p for p in passages if p.plate in EXPECTED_HITS}
    others = ids - set(hits)
    assert len(hits) == 3 and others

    # the box: a scene image per passage, all gone after its 72 h
    scenes = [Path(p.evidence.scene_ref) for p in passages]
    assert all(s.is_file() for s in scenes)
    assert box.store.purge(now=time.time() + 71 * 3600) == 0
    assert box.store.purge(now=time.time() + 73 * 3600) == len(scenes)
    assert not any(s.exists() for s in scenes)

    # Kafka: the passages topic forgets after 72 h
    admin = KafkaAdminClient(bootstrap_servers=kafka)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC,
                                                           PASSAGES.name)])
    finally:
        admin.close()
    assert described["topic"][PASSAGES.name]["retention.ms"]["value"] == str(72 * 3600 * 1000)

    # Redis: a non-hit passage left only its counted mark, which expires within minutes
    held = everything_in(store)
    marks = {keys.COUNTED_PASSAGE.format(event_id=i) for i in others}
    for key, value in held.items():
        leaked = [i for i in others if i in value or (i in key and key not in marks)]
        assert not leaked, f"{key} holds non-hit passages {leaked}"
    ttls = [store.ttl(m) for m in marks if m in held]
    assert all(0 < t <= keys.COUNTED_TTL_S for t in ttls)
    for event_id, p in hits.items():                       # hits: their alerts, with the crop
        body = store.get(keys.ALERT_KEY.format(alert_id=alert_id_for(entry_of(p), event_id)))
        assert body and Alert.model_validate_json(body).evidence.plate_jpeg_b64

    # PostgreSQL: non-hits gone with their partition after 72 h, hits kept per list, a hold kept
    now = datetime.now(timezone.utc)
    control = next(i for i, p in hits.items() if p.plate == "GD37TRN")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("UPDATE kept_passages SET legal_hold = 'court order JN-2026-88' "
                     "WHERE event_id = %s", (control,))

    def remaining(after: timedelta) -> set[str]:
        async def run() -> None:
            writer = PassageHistory(db, timedelta(hours=72))
            try:
                await writer.drop_expired(now + after)
            finally:
                await writer.close()
        asyncio.run(run())
        rows = history.search(["%"], now - timedelta(days=1), now + timedelta(days=1),
                              checkpoint_id=checkpoint_id)
        return {r["event_id"] for r in rows}
    assert remaining(timedelta(hours=71)) == ids
    assert remaining(timedelta(hours=74)) == set(hits)
    assert remaining(timedelta(days=HIT_DAYS["control-orders"] + 1)) == set(hits)  # held
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("UPDATE kept_passages SET legal_hold = NULL WHERE event_id = %s", (control,))
    assert remaining(timedelta(days=HIT_DAYS["control-orders"] + 1)) == set(hits) - {control}
    assert remaining(timedelta(days=366)) == set()
    figure(f"retention, one deployment end to end: {len(others)} non-hit passages gone from "
           f"the box's disk after 72 h ({len(scenes)} scene images), from PostgreSQL with their "
           f"partition after 72 h, in Redis only a counted mark of <= {keys.COUNTED_TTL_S} s; "
           f"3 hits kept by their lists (30 / 365 days), a legal hold kept one past its date")


def entry_of(p: VehiclePassage) -> str:
    """The sample watchlist's entry id for a hit's plate."""
    return {"KA482BC": "demo-stolen-001", "GD37TRN": "demo-control-002",
            "WX963LA": "demo-wanted-003"}[p.plate]
