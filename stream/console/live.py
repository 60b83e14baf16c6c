"""The live alert stream, as Server-Sent Events: every alert event on the Redis stream the
workers and consoles write, from where the browser left off.

Each event's SSE id is its Redis stream id, so a browser that reconnects (it sends
``Last-Event-ID``) resumes exactly after the last event it got, on whichever replica it reaches.
A browser that is new, or whose last id has been trimmed from the stream, first gets a snapshot
of the open queue. A session that ends (logout, forced logout, idle timeout) ends its stream.
"""
from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import redis.asyncio as aioredis

from stream import keys
from stream.wire import Alert, StatusAlert, decode_alert

STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
BLOCK_MS = 15_000  #: a keep-alive comment at least this often, so proxies keep the line open


def connect(url: str) -> aioredis.Redis:
    """A client for one browser's stream. Its socket timeout outlasts the blocking read: with
    redis-py's default (5 s) a quiet queue would break the stream every 5 s."""
    return aioredis.from_url(url, decode_responses=True, socket_timeout=BLOCK_MS / 1000 + 10)


def sse(event: str, data: str, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"{head}event: {event}\n{lines}\n"


def _older(a: str, b: str) -> bool:
    return tuple(map(int, a.split("-"))) < tuple(map(int, b.split("-")))


async def follow(client: aioredis.Redis, last_event_id: str | None, *,
                 snapshot: Callable[[], Awaitable[list[Alert]]],
                 visible: Callable[[Alert | StatusAlert], bool],
                 alive: Callable[[], Awaitable[bool]],
                 block_ms: int = BLOCK_MS) -> AsyncIterator[str]:
    """SSE lines for one browser: a snapshot if it needs one, then every visible event."""
    last = last_event_id if last_event_id and STREAM_ID.match(last_event_id) else None
    first = await client.xrange(keys.LIVE_ALERTS, count=1)
    if last is None or (first and _older(last, first[0][0])):
        newest = await client.xrevrange(keys.LIVE_ALERTS, count=1)
        last = newest[0][0] if newest else "0-0"
        queue = [json.loads(a.model_dump_json()) for a in await snapshot()]
        yield sse("snapshot", json.dumps(queue, ensure_ascii=False), last)
    while await alive():
        rows = await client.xread({keys.LIVE_ALERTS: last}, block=block_ms, count=100)
        if not rows:
            yield ": keep-alive\n\n"
            continue
        for stream_id, fields in rows[0][1]:
            last = stream_id
            alert = decode_alert(fields["alert"].encode())
            if visible(alert):
                yield sse("alert" if isinstance(alert, Alert) else "status",
                          alert.model_dump_json(), stream_id)
    yield sse("logout", "{}")
