"""Alert to browser: how long after a worker records an alert it appears on an operator's
screen. Records alerts as a worker does (``StreamState.record_new_alert``) while Debian's
Chromium shows the live queue of a console served here, and times each row's first appearance
in the page against the alert's ``raised_at``. Prints the figures as JSON.

    python -m stream.lab.bench_console [--alerts 100] [--every-ms 100]

Uses the local Redis (``make services``) in a database of its own (``--redis-db``, flushed
before and after) and Kafka under a topic prefix of its own.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
import uuid

import numpy as np


def run(args: argparse.Namespace) -> dict:
    import redis
    from playwright.sync_api import sync_playwright

    from checkpoint.wire.base import utcnow
    from stream.console.accounts import Accounts, Role
    from stream.console.config import ConsoleConfig
    from stream.console.desk import KafkaAlertPublisher
    from stream.console.services import Services
    from stream.history import HistoryReader
    from stream.lab.live_console import open_queue, serve
    from stream.settings import database_url, redis_url
    from stream.state import StreamState
    from stream.watchlist_api import WatchlistTopic
    from stream.wire import Alert, MatchExplanation, WatchlistEntry

    client = redis.Redis.from_url(redis_url(), decode_responses=True)
    client.flushdb()
    Accounts(client).create("bench-operator", "bench password 0123", Role.OPERATOR)
    services = Services(ConsoleConfig(), client, redis_url(), KafkaAlertPublisher(),
                        HistoryReader(database_url()), WatchlistTopic())
    url, server = serve(services)
    entry = WatchlistEntry(entry_id="bench", list="stolen", plate="鲁A12345", priority=1,
                           category="stolen vehicle", disposal="stop", created_by="bench")
    raised: dict[str, float] = {}

    async def record() -> None:
        state = StreamState.connect(redis_url())
        for _ in range(args.alerts):
            now = utcnow()
            alert = Alert(alert_id=str(uuid.uuid4()), raised_at=now, checkpoint_id="bench",
                          plate="鲁A12345", entry=entry, priority=1, disposal="stop",
                          match=MatchExplanation(type="exact", read="鲁A12345"))
            raised[alert.alert_id] = now.timestamp() * 1000
            await state.record_new_alert(alert, now.timestamp() + 3600)
            await asyncio.sleep(args.every_ms / 1000)
        await state.close()

    try:
        with sync_playwright() as p:
            browser, page = open_queue(p, url, "bench-operator", "bench password 0123")
            worker = threading.Thread(target=lambda: asyncio.run(record()))
            worker.start()
            worker.join()
            deadline = time.monotonic() + 30
            arrived: dict[str, float] = {}
            while time.monotonic() < deadline and len(arrived) < len(raised):
                arrived = page.evaluate("window.arrived")
                time.sleep(0.2)
            browser.close()
    finally:
        server.should_exit = True
        services.publisher.close()
        client.flushdb()
    latency = np.array([arrived[i] - raised[i] for i in raised if i in arrived])
    return {"alerts": args.alerts, "every_ms": args.every_ms, "arrived": int(latency.size),
            "alert_to_browser_p50_ms": round(float(np.percentile(latency, 50)), 1),
            "alert_to_browser_p99_ms": round(float(np.percentile(latency, 99)), 1),
            "alert_to_browser_max_ms": round(float(latency.max()), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stream.lab.bench_console",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--every-ms", type=float, default=100.0)
    parser.add_argument("--redis-db", type=int, default=12, help="flushed before and after")
    args = parser.parse_args(argv)
    host = os.environ.get("KAKOU_REDIS_PORT", "6379")
    os.environ.update({"REDIS_URL": f"redis://127.0.0.1:{host}/{args.redis_db}",
                       "KAKOU_TOPIC_PREFIX": f"kakou-bench-console-{int(time.time())}."})
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
