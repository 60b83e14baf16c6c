"""Passage search on a full history: load N passages spread over 72 hours into a scratch
PostgreSQL database (the schema and partitions the stream writes), then time the console's
searches (the same SQL, through ``HistoryReader.search``) and print the figures as JSON.

    python -m stream.lab.bench_search [--passages 1000000] [--runs 7]

The database is created on the server ``DATABASE_URL`` names (default: the local one from
``make services``) and dropped afterwards (``--keep`` keeps it).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import psycopg
from tqdm import tqdm

from checkpoint.wire.edge import VehiclePassage
from stream.console.search import Search, like_patterns
from stream.history import COLUMNS, HistoryReader, PassageHistory, hour_of
from stream.settings import database_url

PROVINCES = list("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
SERIAL = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))


def plates(count: int, rng: np.random.Generator) -> list[str]:
    """Chinese plates, half of them local (鲁A, as at a Jinan checkpoint), the rest anywhere."""
    local = rng.random(count) < 0.5
    province = np.where(local, "鲁", np.array(PROVINCES)[rng.integers(0, len(PROVINCES), count)])
    city = np.where(local, "A", LETTERS[rng.integers(0, len(LETTERS), count)])
    digits = rng.random((count, 5)) < 0.8
    serial = np.where(digits, SERIAL[rng.integers(0, 10, (count, 5))],
                      SERIAL[rng.integers(0, len(SERIAL), (count, 5))])
    return [p + c + "".join(s) for p, c, s in zip(province, city, serial)]


def load(url: str, count: int, now: datetime, seed: int) -> float:
    """Write ``count`` passages over the 72 hours before ``now``; seconds taken."""
    rng = np.random.default_rng(seed)
    started = time.monotonic()
    history = PassageHistory(url, timedelta(hours=73))
    first = now - timedelta(hours=72)
    probe = VehiclePassage(checkpoint_id="bench", lane="1", camera_id="c1", first_seen=now,
                           last_seen=now, plate="鲁A00000", plate_confidence=0.9,
                           dwell_seconds=2.0)

    async def schema() -> None:  # the schema and every hour's partition, as the stream makes them
        hours = [probe.model_copy(update={"last_seen": first + timedelta(hours=h),
                                          "event_id": str(uuid.uuid4())}) for h in range(74)]
        await history.record(hours, {}, now)
        await history.close()
    asyncio.run(schema())
    offsets = np.sort(rng.random(count)) * 72 * 3600
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY passages ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            chunk = 50_000
            for start in tqdm(range(0, count, chunk), desc="load", unit="chunk"):
                n = min(chunk, count - start)
                for plate, offset, cp in zip(plates(n, rng), offsets[start:start + n],
                                             rng.integers(0, 12, n)):
                    seen = first + timedelta(seconds=float(offset))
                    copy.write_row((str(uuid.uuid4()), seen, seen, f"jinan-{cp:02d}", "1",
                                    "c1", "inbound", plate, "cn", 0.93, "[]", None, None, 2.0,
                                    False))
        cur.execute("ANALYZE passages")
    return time.monotonic() - started


def time_searches(url: str, now: datetime, runs: int) -> dict[str, dict]:
    reader = HistoryReader(url)
    since, until = now - timedelta(hours=72), now
    queries = {
        "prefix 鲁A1*": ("鲁A1*", False), "contains *2345*": ("*2345*", False),
        "one unknown 鲁A?2345": ("鲁A?2345", False), "exact 鲁A12345": ("鲁A12345", False),
        "any one wrong 鲁A12345": ("鲁A12345", True)}
    figures = {}
    for name, (plate, one_wrong) in queries.items():
        search = Search(plate, since, until, None, one_wrong, "benchmark", "bench")
        patterns = like_patterns(search)
        seconds, found = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            found = len(reader.search(patterns, since, until))
            seconds.append(time.perf_counter() - started)
        figures[name] = {"results": found, "median_ms": round(statistics.median(seconds) * 1e3, 1),
                         "max_ms": round(max(seconds) * 1e3, 1)}
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stream.lab.bench_search",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    name = f"kakou_bench_search_{int(time.time())}"
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = database_url().rsplit("/", 1)[0] + "/" + name
    now = hour_of(datetime.now(timezone.utc))
    try:
        load_s = load(url, args.passages, now, args.seed)
        figures = {"passages": args.passages, "hours": 72, "load_s": round(load_s, 1),
                   "limit": 500, "searches": time_searches(url, now, args.runs)}
    finally:
        if not args.keep:
            with psycopg.connect(database_url(), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
