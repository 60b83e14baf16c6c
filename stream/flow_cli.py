"""``kakou-flow``: a checkpoint's traffic per 1-minute or 1-hour window, read from the stream's
Redis (``read_flow``, which consoles use too)."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

import redis

from stream import keys
from stream.flow import WINDOW_S, FlowWindow, Window
from stream.settings import redis_url


def read_flow(client: redis.Redis, checkpoint_id: str, window: Window,
              last: int = 60) -> list[FlowWindow]:
    """The checkpoint's ``last`` windows that saw traffic, oldest first."""
    index = keys.FLOW_INDEX.format(window=window, checkpoint_id=checkpoint_id)
    starts = [int(s) for s in client.zrange(index, -last, -1)]
    pipe = client.pipeline(transaction=False)
    for start in starts:
        pipe.hgetall(keys.FLOW.format(window=window, checkpoint_id=checkpoint_id, start=start))
    found = []
    for start, fields in zip(starts, pipe.execute()):
        if fields:
            found.append(FlowWindow(
                checkpoint_id, window, datetime.fromtimestamp(start, timezone.utc),
                int(fields.get("vehicles", 0)), float(fields.get("dwell_s", 0.0)),
                int(fields.get("known_region", 0)), int(fields.get("outside", 0))))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kakou-flow",
                                     description="A checkpoint's traffic per 1-minute or 1-hour "
                                                 "window, from the stream's Redis.")
    parser.add_argument("checkpoint_id")
    parser.add_argument("--window", choices=sorted(WINDOW_S), default="1m")
    parser.add_argument("--last", type=int, default=15, help="how many windows (default 15)")
    parser.add_argument("--json", action="store_true", help="one JSON object per window")
    args = parser.parse_args(argv)
    client = redis.Redis.from_url(redis_url(), decode_responses=True)
    windows = read_flow(client, args.checkpoint_id, args.window, args.last)
    if args.json:
        print(json.dumps([w.to_json() for w in windows], ensure_ascii=False))
        return 0
    print(f"{'window start (UTC)':20} {'vehicles':>8} {'s/vehicle':>10} {'headway s':>10} "
          f"{'outside':>8}")
    for w in windows:
        print(f"{w.start:%Y-%m-%d %H:%M}     {w.vehicles:8d} {_num(w.seconds_per_vehicle):>10} "
              f"{_num(w.headway_s):>10} {_pct(w.outside_share):>8}")
    if not windows:
        print(f"no traffic recorded for {args.checkpoint_id} in {args.window} windows")
    return 0


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


if __name__ == "__main__":
    sys.exit(main())
