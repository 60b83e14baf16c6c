"""Key-vehicle traces, read side: where a watched plate passed in the last 24 hours, in order.

The stream writes them (``stream.app.record_trace``) for plates that hit a watchlist; consoles
and the CLI read them here.
"""
from __future__ import annotations

import json
import time

import redis

from checkpoint.plates import normalise
from stream import alerts as keys


def read_trace(client: redis.Redis, plate: str, now: float | None = None) -> list[dict]:
    """The passages of ``plate`` within the trace window, oldest first."""
    since = (now or time.time()) - keys.TRACE_WINDOW_S
    members = client.zrangebyscore(keys.TRACE.format(plate=normalise(plate)), since, "+inf")
    return [json.loads(m) for m in members]
