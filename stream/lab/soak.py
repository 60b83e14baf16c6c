"""A soak: passages at a steady rate for many minutes through a stream worker, with a console's
live queue open in Chromium; every process's memory, the worker's consumer lag, publish to
alert and alert to screen sampled throughout. Prints the figures as JSON.

    python -m stream.lab.soak [--minutes 10] [--rate 1000] [--hits-per-minute 12]

On the local services (``make services``), in a Redis database (``--redis-db``, flushed before
and after) and topics (a prefix) of its own. Memory is "flat" when the last minute's mean RSS
of a process is within ``--flat`` (default 10 %) of the third minute's: the first two hold the
start-up and the time every bounded store takes to fill once (a passage's counted mark lives
``stream.keys.COUNTED_TTL_S``, 120 s). Exits 1 unless every passage was recorded once and every
hit alerted and shown; memory that is not flat is said on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
WATCHLIST = ROOT / "configs" / "watchlist-sample.csv"
HIT_PLATES = ("KA482BC", "WX963LA", "GD37TRN")


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def service_pids() -> dict[str, int]:
    """The local services' main processes, from the pid files ``make services`` writes."""
    found = {}
    for name in ("kafka", "redis", "postgres"):
        path = ROOT / ".services" / f"{name}.pid"
        if path.exists():
            found[name] = int(path.read_text().split()[0])
    return found


def run(args: argparse.Namespace, work: Path) -> dict:
    import redis
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from playwright.sync_api import sync_playwright

    from checkpoint.wire.base import encode
    from checkpoint.wire.edge import VehiclePassage
    from checkpoint.wire.settings import kafka_bootstrap
    from checkpoint.wire.topics import ALL_TOPICS, PASSAGES, ensure_topics
    from stream import keys
    from stream.console.accounts import Accounts, Role
    from stream.console.config import ConsoleConfig
    from stream.console.desk import KafkaAlertPublisher
    from stream.console.services import Services
    from stream.history import HistoryReader
    from stream.lab.live_console import open_queue, serve
    from stream.lab.worker import WorkerProcess
    from stream.settings import database_url, redis_url
    from stream.watchlist_api import WatchlistTopic

    client = redis.Redis.from_url(redis_url(), decode_responses=True)
    client.flushdb()
    ensure_topics()
    subprocess.run([str(Path(sys.executable).with_name("kakou-watchlist")), "import",
                    str(WATCHLIST), "--actor", "soak", "--reason", "soak"], check=True,
                   stdout=subprocess.DEVNULL)
    worker = WorkerProcess(work / "worker.log")
    worker.start(timeout_s=300)
    Accounts(client).create("soak-operator", "soak password 0123", Role.OPERATOR)
    services = Services(ConsoleConfig(), client, redis_url(), KafkaAlertPublisher(),
                        HistoryReader(database_url()), WatchlistTopic())
    url, server = serve(services)

    seconds = args.minutes * 60
    sent_at: dict[str, float] = {}            # hit passage id -> wall clock when sent
    sent = [0]
    stop = threading.Event()
    rng = np.random.default_rng(0)

    def send() -> None:
        out = KafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", linger_ms=5)
        start, i = time.monotonic(), 0
        hit_every = max(1, int(args.rate * 60 / max(args.hits_per_minute, 1e-9)))
        while not stop.is_set() and time.monotonic() - start < seconds:
            delay = start + i / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            hit = i % hit_every == 0
            now = datetime.now(timezone.utc)
            plate = HIT_PLATES[(i // hit_every) % 3] if hit else "".join(
                rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"), 7))
            # each hit at a checkpoint of its own: no cool-down folds it into an earlier visit
            checkpoint = f"soak-hit-{i}" if hit else f"soak-{i % 200:03d}"
            passage = VehiclePassage(checkpoint_id=checkpoint, lane="1",
                                     camera_id="c1", first_seen=now, last_seen=now, plate=plate,
                                     plate_confidence=0.93, dwell_seconds=3.0)
            if hit:
                sent_at[passage.event_id] = time.time() * 1000
            out.send(PASSAGES.name, key=passage.checkpoint_id.encode(), value=encode(passage))
            i += 1
        out.flush()
        sent[0] = i
        out.close()

    samples: list[dict] = []
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    ends = KafkaConsumer(bootstrap_servers=kafka_bootstrap())
    parts = [TopicPartition(PASSAGES.name, p) for p in range(PASSAGES.partitions)]

    def lag() -> int:
        committed = admin.list_group_offsets({"kakou-stream": None}).get("kakou-stream", {})
        end = ends.end_offsets(parts)
        return sum(end[tp] - (committed[tp].offset if tp in committed else 0) for tp in parts)

    pids = {"worker": worker.proc.pid, "console+sender": os.getpid(), **service_pids()}
    try:
        with sync_playwright() as p:
            browser, page = open_queue(p, url, "soak-operator", "soak password 0123")
            sender = threading.Thread(target=send, daemon=True)
            started = time.monotonic()
            sender.start()
            while sender.is_alive():
                time.sleep(10.0)
                samples.append({"t_s": round(time.monotonic() - started),
                                "rss_mb": {k: rss_mb(v) for k, v in pids.items()},
                                "lag": lag(),
                                "chromium_heap_mb": round(page.evaluate(
                                    "performance.memory ? performance.memory.usedJSHeapSize "
                                    ": 0") / 2**20, 1)})
            sender.join()
            deadline = time.monotonic() + 300            # the worker drains what it is behind
            while time.monotonic() < deadline and lag() > 0:
                time.sleep(1)
            time.sleep(2)
            arrived = page.evaluate("window.arrived")
            browser.close()
        raised = {}
        for alert_id in client.zrange(keys.OPEN_ALERTS, 0, -1):
            body = json.loads(client.get(keys.ALERT_KEY.format(alert_id=alert_id)))
            raised[body["passage_id"]] = (alert_id, datetime.fromisoformat(
                body["raised_at"]).timestamp() * 1000)
        passages_recorded = int(client.hget(keys.STREAM_STATS, "passages") or 0)
    finally:
        stop.set()
        server.should_exit = True
        worker.stop()
        services.publisher.close()
        ends.close()
        admin.delete_topics([t.name for t in ALL_TOPICS])
        admin.close()
        client.flushdb()
    to_alert = np.array([raised[i][1] - sent_at[i] for i in sent_at if i in raised])
    to_screen = np.array([arrived[raised[i][0]] - raised[i][1] for i in sent_at
                          if i in raised and raised[i][0] in arrived])
    memory = {}
    for name in pids:
        series = [(s["t_s"], s["rss_mb"][name]) for s in samples if s["rss_mb"][name]]
        third = [m for t, m in series if 120 <= t < 180] or [m for _, m in series[:6]]
        last = [m for t, m in series if t >= series[-1][0] - 60] if series else []
        if third and last:
            growth = (np.mean(last) - np.mean(third)) / np.mean(third)
            memory[name] = {"third_minute_mb": round(float(np.mean(third)), 1),
                            "last_minute_mb": round(float(np.mean(last)), 1),
                            "growth": round(float(growth), 3), "flat": bool(abs(growth) <= args.flat)}

    def pct(a: np.ndarray, q: float) -> float | None:
        return round(float(np.percentile(a, q)), 1) if a.size else None
    return {"minutes": args.minutes, "rate_per_s": args.rate, "passages_sent": sent[0],
            "passages_recorded": passages_recorded, "hits_sent": len(sent_at),
            "alerts": len(to_alert), "on_screen": int(to_screen.size),
            "publish_to_alert_p50_ms": pct(to_alert, 50),
            "publish_to_alert_p99_ms": pct(to_alert, 99),
            "alert_to_screen_p50_ms": pct(to_screen, 50),
            "alert_to_screen_p99_ms": pct(to_screen, 99),
            "lag_max": max(s["lag"] for s in samples), "lag_last": samples[-1]["lag"],
            "memory": memory}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stream.lab.soak",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="passages per second")
    parser.add_argument("--hits-per-minute", type=float, default=12.0)
    parser.add_argument("--flat", type=float, default=0.10, help="allowed RSS growth")
    parser.add_argument("--redis-db", type=int, default=11, help="flushed before and after")
    args = parser.parse_args(argv)
    host = os.environ.get("KAKOU_REDIS_PORT", "6379")
    os.environ.update({"REDIS_URL": f"redis://127.0.0.1:{host}/{args.redis_db}",
                       "KAKOU_TOPIC_PREFIX": f"kakou-soak-{int(time.time())}."})
    with tempfile.TemporaryDirectory(prefix="kakou-soak-") as tmp:
        figures = run(args, Path(tmp))
    print(json.dumps(figures))
    return 0 if held(figures) else 1


def held(figures: dict) -> bool:
    """The soak's bar: every passage recorded once, every hit alerted and on the operator's
    screen; says on stderr what failed. Memory, lag and latencies are figures, reported (with
    each process's ``flat``) but not a pass or fail: on a shared machine they move with its
    load, as every speed figure here does."""
    failed = [name for name, ok in (
        ("passages recorded", figures["passages_recorded"] == figures["passages_sent"]),
        ("alerts", figures["alerts"] == figures["hits_sent"]),
        ("on screen", figures["on_screen"] == figures["alerts"])) if not ok]
    if failed:
        print(f"soak failed: {', '.join(failed)}", file=sys.stderr)
    growing = [name for name, m in figures["memory"].items() if not m["flat"]]
    if growing:
        print(f"soak: memory not flat (> --flat): {', '.join(growing)}", file=sys.stderr)
    return not failed


if __name__ == "__main__":
    sys.exit(main())
