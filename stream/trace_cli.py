"""``kakou-trace``: where a watched plate passed in the last 24 hours, checkpoint by checkpoint,
read from the stream's Redis (``read_trace``, which consoles use too).

The stream keeps a trace only for plates that hit a watchlist, and only for the trace window.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import redis

from checkpoint.wire.plates import normalise
from stream import keys
from stream.settings import redis_url


def read_trace(client: redis.Redis, plate: str, now: float | None = None) -> list[dict]:
    """The passages of ``plate`` within the trace window, oldest first."""
    since = (now or time.time()) - keys.TRACE_WINDOW_S
    members = client.zrangebyscore(keys.TRACE.format(plate=normalise(plate)), since, "+inf")
    return [json.loads(m) for m in members]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kakou-trace", description=__doc__.splitlines()[0])
    parser.add_argument("plate", help="the watched plate, as written on the watchlist")
    parser.add_argument("--json", action="store_true", help="a JSON list of the passages")
    args = parser.parse_args(argv)
    stops = read_trace(redis.Redis.from_url(redis_url(), decode_responses=True), args.plate)
    if args.json:
        print(json.dumps(stops, ensure_ascii=False))
        return 0
    for stop in stops:
        print(f"{stop['time']}  {stop['checkpoint_id']:<16} lane {stop['lane']:<4} "
              f"{stop['direction']:<9} read {stop['read']}  passage {stop['passage_id']}")
    if not stops:
        print(f"no trace of {normalise(args.plate)} in the last "
              f"{keys.TRACE_WINDOW_S // 3600} h (traces are kept for watched plates only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
