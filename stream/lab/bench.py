"""``make bench-stream``: the matching worker's throughput and alert latency with a big watchlist.

On the real local broker and Redis, in topics of their own (``KAKOU_TOPIC_PREFIX``, deleted
after) and a Redis database of its own (``--redis-db``, flushed before and after):

1. a synthetic watchlist (default 1,000,000 entries: exact-match lists, a list that allows one
   other edit so its plates sit in the deletion index, and wildcard/regex patterns) is written as
   CSV and imported with ``kakou-watchlist import``, the real path (``import_s``);
2. a backlog of passages (1 % of them hits, half of those misreads) is consumed first by a
   pass-through agent (``stream.lab.bench_noop``: Faust, same batches, nothing done) and then by the
   matching worker, each timed between 10 % and 90 % of the backlog (``noop_events_per_s``,
   ``events_per_s``, ``ratio``);
3. passages are published at a steady rate (default 1,000/s) and each planted hit is timed from
   the publish call to its alert arriving on the consoles' Redis channel (``latency_*_ms``).

Before each timed phase Redis compacts its append-only file, so a background rewrite set off by
the previous phase's writes does not land inside the timing (here Redis shares two cores with
Kafka, the worker and the load generator; on a deployment it has its own).

Prints one JSON object. Machines are shared and noisy: compare the two rates of one run.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import redis
from kafka import KafkaAdminClient, KafkaProducer
from tqdm import tqdm

from checkpoint.wire.base import encode
from checkpoint.wire.edge import VehiclePassage
from checkpoint.wire.plates import CN_PROVINCES, MATCHER_CLASSES, partners
from checkpoint.wire.settings import kafka_bootstrap
from checkpoint.wire.topics import ALL_TOPICS, PASSAGES, ensure_topics
from stream import keys
from stream.lab.bench_noop import COUNTER
from stream.lab.worker import WorkerProcess

LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
DIGITS = np.array(list("0123456789"))
PROVINCES = np.array(list(CN_PROVINCES))
#: The misread the edge might make of each character: its likeliest partner in a class the
#: matcher folds (``checkpoint.wire.plates.CONFUSIONS``).
MISREADS = {c: partners(c)[0] for chars in MATCHER_CLASSES for c in chars}
#: Nobody acknowledges the benchmark's alerts, so escalation is pushed past the run: the figures
#: are about matching and raising alerts, not about re-sending a thousand unanswered ones.
BENCH_CONFIG = """\
match:
  suspect: {max_confusions: 1, max_edits: 1}
alert_cooldown_s: 900
escalate_after_s: {1: 86400, 2: 86400, 3: 86400, 4: 86400, 5: 86400}
"""


def plates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Half European-looking (KA482BC), half Chinese (鲁A12345), as a numpy string array."""
    eu = np.concatenate([rng.choice(LETTERS, (n, 2)), rng.choice(DIGITS, (n, 3)),
                         rng.choice(LETTERS, (n, 2))], axis=1)
    cn = np.concatenate([rng.choice(PROVINCES, (n, 1)), rng.choice(LETTERS, (n, 1)),
                         rng.choice(np.concatenate([LETTERS, DIGITS]), (n, 5))], axis=1)
    chosen = np.where(rng.random(n)[:, None] < 0.5, eu, cn)
    return np.ascontiguousarray(chosen).view("<U7").ravel()


def write_watchlist(path: Path, n: int, seed: int) -> np.ndarray:
    """The CSV of ``n`` entries; returns the plate of each plate entry (patterns: "")."""
    rng = np.random.default_rng(seed)
    plate = plates(rng, n)
    n_patterns = max(1, n // 1000)
    with path.open("w", encoding="utf-8") as out:
        out.write("entry_id,list,plate,pattern,category,priority,disposal,reason\n")
        for i in tqdm(range(n), desc="watchlist csv", unit="entry", mininterval=2):
            if i < n_patterns:  # a witness saw part of the plate: one or two unknown characters
                p = plate[i]
                pattern = (f"{p[:3]}?{p[4:]}" if i % 20 else f"^{p[:2]}[0-9]{{3}}{p[5:]}$")
                out.write(f"b{i},seen-partly,,{pattern},suspect vehicle,3,observe,bench\n")
                plate[i] = ""
            elif i % 20 == 0:
                out.write(f"b{i},suspect,{plate[i]},,suspect vehicle,3,observe,bench\n")
            else:
                listed = "stolen" if i % 2 else "wanted"
                out.write(f"b{i},{listed},{plate[i]},,{listed} vehicle,{1 + i % 2},stop,bench\n")
    return plate


def misread(plate: str, rng: random.Random) -> str:
    """The plate with one OCR confusion, as the edge might read it (itself when it has none)."""
    spots = [i for i, c in enumerate(plate) if c in MISREADS]
    if not spots:
        return plate
    i = rng.choice(spots)
    return plate[:i] + MISREADS[plate[i]] + plate[i + 1:]


class Passages:
    """Passage events, ``hit_rate`` of them planted hits on watchlist plates (half misread)."""

    def __init__(self, listed: np.ndarray, hit_rate: float, seed: int) -> None:
        self.listed = listed[listed != ""]
        self.hit_rate = hit_rate
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.crop = base64.b64encode(self.np_rng.bytes(1500)).decode()  # a plate crop's size

    def make(self, count: int) -> list[tuple[VehiclePassage, bool]]:
        random_plates = plates(self.np_rng, count)
        now = datetime.now(timezone.utc)
        made = []
        for i in range(count):
            hit = self.rng.random() < self.hit_rate
            plate = str(self.rng.choice(self.listed)) if hit else str(random_plates[i])
            if hit and self.rng.random() < 0.5:
                plate = misread(plate, self.rng)
            made.append((VehiclePassage(
                checkpoint_id=f"bench-{i % 40:02d}", lane="1", camera_id="c1", plate=plate,
                first_seen=now - timedelta(seconds=8), last_seen=now, plate_confidence=0.93,
                dwell_seconds=8.0, evidence={"plate_jpeg_b64": self.crop}), hit))
        return made


def producer() -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", linger_ms=2,
                         batch_size=256 * 1024)


def settle(client: redis.Redis, timeout_s: float = 120.0) -> None:
    """Rewrite Redis's append-only file now and wait for it (see the module docstring)."""
    if client.info("persistence").get("aof_enabled"):
        try:
            client.bgrewriteaof()
        except redis.ResponseError:  # one already running: wait for that
            pass
        deadline = time.monotonic() + timeout_s
        while client.info("persistence").get("aof_rewrite_in_progress") and \
                time.monotonic() < deadline:
            time.sleep(0.2)


def rate_between(read_count, total: int, timeout_s: float) -> float:
    """Events per second between 10 % and 90 % of ``total`` (start-up and tail left out)."""
    low, high = int(total * 0.1), int(total * 0.9)
    deadline = time.monotonic() + timeout_s
    t_low = None
    with tqdm(total=total, desc="consumed", unit="ev", mininterval=1) as bar:
        while time.monotonic() < deadline:
            count = read_count()
            bar.update(count - bar.n)
            if t_low is None and count >= low:
                t_low, c_low = time.monotonic(), count
            if count >= high and t_low is not None:
                return (count - c_low) / max(time.monotonic() - t_low, 1e-6)
            time.sleep(0.05)
    raise TimeoutError(f"only {read_count()} of {total} events consumed in {timeout_s:.0f}s")


def measure_latency(client: redis.Redis, rate: float, seconds: float,
                    source: Passages) -> dict[str, float]:
    """Publish at a steady ``rate``; time each planted hit from publish to its alert in Redis."""
    events = source.make(int(rate * seconds))
    sent: dict[str, float] = {}          # wall clock: the worker's raised_at is comparable
    arrived: dict[str, tuple[float, float]] = {}  # passage id -> (raised_at, arrival)
    stop = threading.Event()
    last = "$"  # what consoles follow: the live alert stream, from now on

    def listen() -> None:
        nonlocal last
        while not stop.is_set():
            for _, rows in client.xread({keys.LIVE_ALERTS: last}, block=100) or []:
                for last, fields in rows:
                    alert = json.loads(fields["alert"])
                    raised = datetime.fromisoformat(alert["raised_at"]).timestamp()
                    arrived.setdefault(alert.get("passage_id"), (raised, time.time()))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    out = producer()
    start = time.monotonic()
    for i, (passage, hit) in enumerate(tqdm(events, desc=f"steady {rate:.0f}/s", unit="ev")):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if hit:
            sent[passage.event_id] = time.time()
        out.send(PASSAGES.name, key=passage.checkpoint_id.encode(), value=encode(passage))
    out.flush()
    send_rate = len(events) / (time.monotonic() - start)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not sent.keys() <= arrived.keys():
        time.sleep(0.2)
    stop.set()
    listener.join()
    timed = [(sent[i], *arrived[i]) for i in sent if i in arrived]
    latencies = np.array([end - start for start, _, end in timed]) * 1000
    to_match = np.array([raised - start for start, raised, _ in timed]) * 1000
    return {"steady_rate_per_s": round(send_rate, 1), "alerts_expected": len(sent),
            "alerts_received": int(len(latencies)),
            "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1),
            "latency_p99_ms": round(float(np.percentile(latencies, 99)), 1),
            "latency_max_ms": round(float(latencies.max()), 1),
            # where the time goes: publish -> the worker matched it (consumer lag, batching)
            "to_match_p50_ms": round(float(np.percentile(to_match, 50)), 1),
            "to_match_p99_ms": round(float(np.percentile(to_match, 99)), 1)}


def run(args: argparse.Namespace, work: Path) -> dict:
    client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    client.flushdb()
    ensure_topics()
    figures: dict = {"watchlist_entries": args.entries, "backlog_events": args.events}

    csv_path = work / "watchlist.csv"
    listed = write_watchlist(csv_path, args.entries, args.seed)
    started = time.monotonic()
    subprocess.run([str(Path(sys.executable).with_name("kakou-watchlist")), "import",
                    str(csv_path), "--actor", "bench", "--reason", "stream benchmark"],
                   check=True, stdout=subprocess.DEVNULL)
    figures["import_s"] = round(time.monotonic() - started, 1)
    csv_path.unlink()

    source = Passages(listed, args.hit_rate, args.seed + 1)
    backlog = source.make(args.events)
    out = producer()
    for passage, _ in tqdm(backlog, desc="backlog", unit="ev", mininterval=1):
        out.send(PASSAGES.name, key=passage.checkpoint_id.encode(), value=encode(passage))
    out.flush()
    del backlog

    settle(client)
    noop = WorkerProcess(work / "noop.log", app="stream.lab.bench_noop", ready_lines=("Worker ready",))
    noop.start(timeout_s=300)
    try:
        figures["noop_events_per_s"] = round(rate_between(
            lambda: int(client.get(COUNTER) or 0), args.events, 600), 1)
    finally:
        noop.stop()

    settle(client)
    worker = WorkerProcess(work / "worker.log")
    started = time.monotonic()
    worker.start(timeout_s=1800)
    figures["worker_load_s"] = round(time.monotonic() - started, 1)
    try:
        figures["events_per_s"] = round(rate_between(
            lambda: int(client.hget(keys.STREAM_STATS, "passages") or 0), args.events, 600), 1)
        figures["ratio"] = round(figures["events_per_s"] / figures["noop_events_per_s"], 3)
        deadline = time.monotonic() + 120  # the backlog's tail, before the steady phase
        while int(client.hget(keys.STREAM_STATS, "passages") or 0) < args.events:
            if time.monotonic() > deadline:
                raise TimeoutError("the matching worker did not finish the backlog")
            time.sleep(0.2)
        settle(client)
        figures.update(measure_latency(client, args.rate, args.seconds, source))
        figures["alerts_total"] = int(client.hget(keys.STREAM_STATS, "alerts") or 0)
    finally:
        worker.stop()
        client.flushdb()
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap())
        admin.delete_topics([t.name for t in ALL_TOPICS])
        admin.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stream.lab.bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="watchlist size")
    parser.add_argument("--events", type=int, default=50_000, help="backlog passages")
    parser.add_argument("--hit-rate", type=float, default=0.01)
    parser.add_argument("--rate", type=float, default=1000.0, help="steady events/s")
    parser.add_argument("--seconds", type=float, default=30.0, help="steady phase length")
    parser.add_argument("--redis-db", type=int, default=15, help="flushed before and after")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    host = os.environ.get("KAKOU_REDIS_PORT", "6379")
    os.environ.update({  # every topic name takes the prefix, every Redis call the database
        "KAKOU_TOPIC_PREFIX": f"kakou-bench-{int(time.time())}.",
        "REDIS_URL": f"redis://127.0.0.1:{host}/{args.redis_db}",
    })
    with tempfile.TemporaryDirectory(prefix="kakou-bench-") as tmp:
        work = Path(tmp)
        config = work / "stream.yaml"
        config.write_text(BENCH_CONFIG)
        os.environ["KAKOU_STREAM_CONFIG"] = str(config)
        figures = run(args, work)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
