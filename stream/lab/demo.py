"""``make demo``: the whole chain on this machine, from footage to alerts, with a short summary.

Expects the local services (``make services``). Starts a stream worker, imports the sample
watchlist, renders the sample clip, replays it through the edge, waits until the stream has
processed every passage, and prints what was read and which alerts were raised.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import redis

from stream import keys
from stream.flow_cli import read_flow
from stream.lab.worker import WorkerProcess
from stream.history import HistoryReader
from stream.settings import database_url, redis_url
from stream.wire import Alert

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".services"
#: Per lane: the box config and the clip (``checkpoint sample-clip --region``).
LANES = {"cn": (ROOT / "configs" / "checkpoint-demo.yaml", STATE / "sample.mp4"),
         "any": (ROOT / "configs" / "checkpoint-demo-eu.yaml", STATE / "sample-eu.mp4")}
CONFIG = LANES["cn"][0]
WATCHLIST = ROOT / "configs" / "watchlist-sample.csv"


def _ljust(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns, a Chinese character taking two."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)


def _cli(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).with_name(name))
    return subprocess.run([exe, *args], check=True, text=True, capture_output=True)


def _wait_processed(passage_ids: list[str], timeout_s: float) -> list[str]:
    """Wait until the stream has handled every passage (the history holds it); return the ids
    still missing."""
    history = HistoryReader(database_url())
    deadline = time.monotonic() + timeout_s
    missing = passage_ids
    while missing and time.monotonic() < deadline:
        held = history.stored(passage_ids)
        missing = [p for p in passage_ids if p not in held]
        time.sleep(0.5)
    return missing


def _alerts_for(r: redis.Redis, passage_ids: set[str]) -> tuple[list[Alert], list[Alert]]:
    """Alerts these passages raised, and earlier alerts they were attached to (the same vehicle
    at the same checkpoint within the cool-down: a demo run again soon after the last one)."""
    raised, attached = [], []
    for alert_id in r.zrange(keys.OPEN_ALERTS, 0, -1):
        body = r.get(keys.ALERT_KEY.format(alert_id=alert_id))
        if body:
            alert = Alert.model_validate_json(body)
            if alert.passage_id in passage_ids:
                raised.append(alert)
            elif passage_ids & r.smembers(keys.ALERT_PASSAGES.format(alert_id=alert_id)):
                attached.append(alert)
    return raised, attached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stream.lab.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--region", choices=sorted(LANES), default="cn",
                        help="cn: a Jinan checkpoint's lane of Chinese plates (default); any: a "
                             "European lane")
    parser.add_argument("--config", type=Path, help="box config (default: the lane's)")
    parser.add_argument("--watchlist", type=Path, default=WATCHLIST)
    parser.add_argument("--clip", type=Path, help="where the clip goes (default: the lane's)")
    args = parser.parse_args(argv)
    config, clip = LANES[args.region]
    args.config, args.clip = args.config or config, args.clip or clip

    worker = WorkerProcess(STATE / "demo-worker.log")
    print("1/5 importing the sample watchlist ...", flush=True)
    print("    " + _cli("kakou-watchlist", "import", str(args.watchlist), "--created-by", "demo")
          .stdout.strip(), flush=True)
    print("2/5 starting a stream worker (faust -A stream.app worker) ...", flush=True)
    worker.start()
    try:
        print("3/5 rendering the sample clip ...", flush=True)
        print("    " + _cli("checkpoint", "sample-clip", str(args.clip), "--region",
                         args.region).stdout.strip(), flush=True)
        truth = json.loads(Path(f"{args.clip}.truth.json").read_text(encoding="utf-8"))
        print("4/5 replaying it through the edge (detect, read, track, vote, spool, Kafka) ...",
              flush=True)
        edge = json.loads(_cli("checkpoint", "replay", str(args.clip), "--config", str(args.config),
                               "--json").stdout)
        ids = [p["event_id"] for p in edge["passages"]]
        print("5/5 waiting for the stream to match every passage ...", flush=True)
        r = redis.Redis.from_url(redis_url(), decode_responses=True)
        missing = _wait_processed(ids, timeout_s=60)
        alerts, attached = _alerts_for(r, set(ids))
        checkpoint_id = edge["checkpoint_id"]
        flow = read_flow(r, checkpoint_id, "1h", last=1)
    finally:
        worker.stop()

    shown = [v["plate"] for v in truth["vehicles"]]
    print(f"\nvehicles read: {len(ids)} of {len(shown)} in the clip, "
          f"{sum(p['plate'] in shown for p in edge['passages'])} right")
    for p in edge["passages"]:
        check = "" if p["plate"] in shown else "  (no vehicle of the clip has this plate)"
        print(f"  {_ljust(p['plate'], 10)} confidence {p['confidence']:.2f}  "
              f"dwell {p['dwell_seconds']:.1f}s{check}")
    print(f"alerts raised: {len(alerts)}")
    for a in sorted(alerts, key=lambda a: a.priority):
        print(f"  P{a.priority} {_ljust(a.plate, 10)} {a.entry.list}/{a.entry.category} "
              f"({a.match.type}): {a.disposal}")
    if attached:
        print(f"attached to {len(attached)} alerts of an earlier run (the same vehicles at the "
              "same checkpoint within the cool-down are one visit, one alert):")
        for a in sorted(attached, key=lambda a: a.priority):
            print(f"  P{a.priority} {_ljust(a.plate, 10)} {a.entry.list}/{a.entry.category}, raised "
                  f"{a.raised_at:%H:%M:%S} UTC")
    for w in flow:
        share = "-" if w.outside_share is None else f"{w.outside_share:.0%}"
        print(f"flow at {w.checkpoint_id}, hour from {w.start:%H:%M} UTC: {w.vehicles} vehicles, "
              f"{w.seconds_per_vehicle:.1f} s per vehicle, {share} from outside the home region")
    if missing:
        print(f"NOT processed by the stream within 60 s: {len(missing)} passages", file=sys.stderr)
    print("\nwhere to look next:\n"
          f"  the console:       make console, then http://127.0.0.1:8080 (first create an "
          f"account: .venv/bin/kakou-console user add NAME --role supervisor)\n"
          f"  alerts on Kafka:   topic kakou.alerts (KAFKA_BOOTSTRAP_SERVERS)\n"
          f"  state in Redis:    redis-cli zrange {keys.OPEN_ALERTS} 0 -1 ; "
          f"redis-cli get kakou:alert:<id>\n"
          f"  flow per minute:   kakou-flow {checkpoint_id} --window 1m\n"
          f"  worker log:        {worker.log_path}\n"
          f"  scene evidence:    .evidence/ (kept on the box, purged after 72 h)\n"
          f"  stop the services: make services-down")
    wrong = [p for p in edge["passages"] if p["plate"] not in shown]
    return 1 if missing or not ids or wrong or len(ids) != len(shown) else 0


if __name__ == "__main__":
    sys.exit(main())
