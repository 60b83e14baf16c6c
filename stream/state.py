"""The stream's state in Redis: every read and write the agents make, and nothing else does.

Each call retries until Redis answers (an outage delays processing; it loses nothing), and each
names its keys from ``stream.keys``. Writes that belong together go in one transaction, and a
batch of passages is recorded by one Lua script (``record_passages.lua``) in one round trip.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from typing import TypeVar

import redis
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from checkpoint.wire.edge import Heartbeat, VehiclePassage
from stream import flow, keys
from stream.wire import Alert, StatusAlert

log = logging.getLogger("kakou.stream")
T = TypeVar("T")
#: The longest anyone holds an alert's lock (a crashed holder's lock lapses after this).
ALERT_LOCK_S = 30
#: Deletes a lock only for the holder that took it (its token), never a later holder's.
RELEASE_LOCK = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                "return redis.call('del', KEYS[1]) end return 0")


class StreamState:
    """One worker's Redis: its client, its retries, its keys."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client
        lua = resources.files("stream").joinpath("record_passages.lua").read_text("utf-8")
        self._record_passages = client.register_script(lua)
        self._release_lock = client.register_script(RELEASE_LOCK)

    @classmethod
    def connect(cls, url: str) -> StreamState:
        """A client for ``url``; it connects on its first command."""
        return cls(aioredis.from_url(url, decode_responses=True))

    async def close(self) -> None:
        await self._redis.aclose()

    async def _retry(self, what: str, step: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis step until Redis answers, backing off up to 5 s between tries."""
        delay = 0.2
        while True:
            try:
                return await step()
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("%s: Redis unavailable (%s); retrying in %.1fs", what, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _transaction(self, what: str, build: Callable[[aioredis.client.Pipeline], None],
                           *, atomic: bool = True) -> list:
        async def run() -> list:
            async with self._redis.pipeline(transaction=atomic) as pipe:
                build(pipe)
                return await pipe.execute()
        return await self._retry(what, run)

    # --- dead letters ------------------------------------------------------------------------

    async def dead_letter_seen(self, topic: str, partition: int, offset: int) -> bool:
        once = keys.DEADLETTER_SEEN.format(topic=topic, partition=partition, offset=offset)
        return bool(await self._retry("dead-letter lookup", lambda: self._redis.exists(once)))

    async def record_dead_letter(self, topic: str, partition: int, offset: int) -> None:
        once = keys.DEADLETTER_SEEN.format(topic=topic, partition=partition, offset=offset)
        await self._transaction("dead-letter record", lambda pipe: (
            pipe.set(once, 1, ex=keys.DEADLETTER_TTL_S),
            pipe.hincrby(keys.DEADLETTER_STATS, topic, 1)))

    # --- watchlist ---------------------------------------------------------------------------

    async def record_watchlist_loaded(self, entries: int) -> None:
        await self._retry("stats", lambda: self._redis.hset(keys.STREAM_STATS, mapping={
            "watchlist_entries": entries, "watchlist_loaded_at": time.time()}))

    # --- alerts ------------------------------------------------------------------------------

    async def alert_exists(self, alert_id: str) -> bool:
        key = keys.ALERT_KEY.format(alert_id=alert_id)
        return bool(await self._retry("alert lookup", lambda: self._redis.exists(key)))

    async def record_new_alert(self, alert: Alert, escalate_at: float) -> None:
        """Keep a new alert (never over an existing one), open it, schedule its escalation and
        push it to live consoles."""
        body = alert.model_dump_json()
        await self._transaction("alert record", lambda pipe: (
            pipe.set(keys.ALERT_KEY.format(alert_id=alert.alert_id), body, nx=True),
            pipe.zadd(keys.OPEN_ALERTS, {alert.alert_id: alert.raised_at.timestamp()}),
            pipe.zadd(keys.ESCALATE_AT, {alert.alert_id: escalate_at}),
            live(pipe, body),
            pipe.hincrby(keys.STREAM_STATS, "alerts", 1)))

    async def record_alert_update(self, alert: Alert, stat: str) -> None:
        """An alert's latest state, pushed to live consoles, counted under ``stat``."""
        await self._update(alert, keys.ALERT_KEY.format(alert_id=alert.alert_id), None, stat)

    async def record_status_alert(self, alert: StatusAlert) -> None:
        """A status alert, kept as long as non-hit passages, counted by its kind."""
        await self._update(alert, keys.STATUS_ALERT_KEY.format(alert_id=alert.alert_id),
                           keys.NON_HIT_TTL_S, alert.kind)

    async def _update(self, alert: Alert | StatusAlert, key: str, ttl_s: int | None,
                      stat: str) -> None:
        body = alert.model_dump_json()
        await self._transaction(f"publish {alert.kind}", lambda pipe: (
            pipe.set(key, body, ex=ttl_s),
            live(pipe, body),
            pipe.hincrby(keys.STREAM_STATS, stat, 1)))

    async def alert(self, alert_id: str) -> Alert | None:
        key = keys.ALERT_KEY.format(alert_id=alert_id)
        body = await self._retry("alert", lambda: self._redis.get(key))
        return None if body is None else Alert.model_validate_json(body)

    async def due_escalations(self, now: float, limit: int = 100) -> list[str]:
        return await self._retry("escalations due", lambda: self._redis.zrangebyscore(
            keys.ESCALATE_AT, 0, now, start=0, num=limit))

    async def lock_alert(self, alert_id: str) -> str | None:
        """A token when this worker may change ``alert_id`` now (nobody else holds it: another
        worker escalating, an operator acting); None when someone does."""
        token = secrets.token_hex(16)
        lock = keys.ALERT_LOCK.format(alert_id=alert_id)
        taken = await self._retry("alert lock", lambda: self._redis.set(
            lock, token, nx=True, ex=ALERT_LOCK_S))
        return token if taken else None

    async def unlock_alert(self, alert_id: str, token: str) -> None:
        lock = keys.ALERT_LOCK.format(alert_id=alert_id)
        await self._retry("alert unlock", lambda: self._release_lock(keys=[lock], args=[token]))

    async def escalation_due(self, alert_id: str, now: float) -> bool:
        """Whether ``alert_id`` is still scheduled to escalate by ``now``."""
        at = await self._retry("escalation due", lambda: self._redis.zscore(keys.ESCALATE_AT,
                                                                             alert_id))
        return at is not None and at <= now

    async def unschedule_escalation(self, alert_id: str) -> None:
        await self._retry("escalation done", lambda: self._redis.zrem(keys.ESCALATE_AT, alert_id))

    async def visit_holder(self, entry_id: str, plate: str, checkpoint_id: str, alert_id: str,
                           ttl_s: int) -> str | None:
        """Claim the visit (entry, plate, checkpoint) for ``alert_id`` for ``ttl_s``; the id of
        another alert that holds it already, else None (``alert_id`` holds it)."""
        key = keys.COOLDOWN.format(entry_id=entry_id, plate=plate, checkpoint_id=checkpoint_id)
        if await self._retry("cool-down", lambda: self._redis.set(key, alert_id, nx=True,
                                                                   ex=ttl_s)):
            return None
        holder = await self._retry("cool-down", lambda: self._redis.get(key))
        return holder if holder not in (None, alert_id) else None

    async def attach_to_alert(self, alert_id: str, source_event_id: str) -> None:
        await self._transaction("cool-down attach", lambda pipe: (
            pipe.sadd(keys.ALERT_PASSAGES.format(alert_id=alert_id), source_event_id),
            pipe.hincrby(keys.STREAM_STATS, "alerts_within_cooldown", 1)))

    # --- passages, traces, flow ----------------------------------------------------------------

    async def record_trace(self, plate: str, passage: VehiclePassage) -> None:
        """Add the passage to the watched plate's trace and drop what is older than its window.
        Members are the same JSON for the same passage, so a replay adds nothing."""
        key = keys.TRACE.format(plate=plate)
        stop = json.dumps({"checkpoint_id": passage.checkpoint_id, "camera_id": passage.camera_id,
                           "lane": passage.lane, "direction": passage.direction,
                           "passage_id": passage.event_id, "read": passage.plate,
                           "time": passage.last_seen.isoformat()}, sort_keys=True)
        await self._transaction("trace", lambda pipe: (
            pipe.zadd(key, {stop: passage.last_seen.timestamp()}),
            pipe.zremrangebyscore(key, 0, time.time() - keys.TRACE_WINDOW_S),
            pipe.expire(key, keys.TRACE_WINDOW_S)))

    async def record_passages(self, passages: list[VehiclePassage],
                              outside: list[bool | None], now: datetime) -> list[list[int] | None]:
        """Count each passage new to the history per checkpoint and into its flow windows,
        once: its mark (``COUNTED_TTL_S``) keeps a batch given again after a crash before the
        history's commit from being counted twice; the passage itself is in the history, not
        in Redis. ``outside``: whether each is from outside its checkpoint's home region (None:
        unknown). Returns the windows' counts after each passage (None for one counted before)."""
        batch_keys: list[str] = [keys.STREAM_STATS]
        batch_args: list[object] = [keys.COUNTED_TTL_S, now.timestamp()]
        for passage, away in zip(passages, outside, strict=True):
            passage_keys, passage_args = _record_arguments(passage, away)
            batch_keys += passage_keys
            batch_args += passage_args
        results = await self._retry("passage record", lambda: self._record_passages(
            keys=batch_keys, args=batch_args))
        return [counts or None for counts in results]

    async def flow_warned(self, alert_id: str) -> bool:
        key = keys.FLOW_WARNED.format(alert_id=alert_id)
        return bool(await self._retry("flow warning", lambda: self._redis.exists(key)))

    async def mark_flow_warned(self, alert_id: str, ttl_s: int) -> None:
        key = keys.FLOW_WARNED.format(alert_id=alert_id)
        await self._retry("flow warning", lambda: self._redis.set(key, 1, ex=ttl_s))

    # --- checkpoints and cameras ---------------------------------------------------------------

    async def record_heartbeat(self, beat: Heartbeat) -> None:
        """Keep the box's latest heartbeat; a late, older one never hides a newer one."""
        await self._transaction("heartbeat", lambda pipe: (
            pipe.set(keys.HEARTBEAT_KEY.format(checkpoint_id=beat.checkpoint_id),
                     beat.model_dump_json(), ex=keys.HEARTBEAT_TTL_S),
            pipe.zadd(keys.CHECKPOINTS, {beat.checkpoint_id: beat.time.timestamp()}, gt=True)),
            atomic=False)

    async def silent_checkpoints(self, since: float) -> list[tuple[str, float]]:
        """(checkpoint id, last heartbeat) of every box not heard from since ``since``."""
        return await self._retry("checkpoint watch", lambda: self._redis.zrangebyscore(
            keys.CHECKPOINTS, 0, since, withscores=True))

    async def open_offline_alert(self, checkpoint_id: str) -> str | None:
        key = keys.OFFLINE.format(checkpoint_id=checkpoint_id)
        return await self._retry("offline", lambda: self._redis.get(key))

    async def mark_offline(self, checkpoint_id: str, alert_id: str) -> None:
        key = keys.OFFLINE.format(checkpoint_id=checkpoint_id)
        await self._retry("offline", lambda: self._redis.set(key, alert_id))

    async def close_offline(self, checkpoint_id: str) -> None:
        key = keys.OFFLINE.format(checkpoint_id=checkpoint_id)
        await self._retry("offline", lambda: self._redis.delete(key))

    async def open_camera_alert(self, checkpoint_id: str, camera_id: str) -> str | None:
        key = keys.CAMERA_DEGRADED.format(checkpoint_id=checkpoint_id, camera_id=camera_id)
        return await self._retry("camera", lambda: self._redis.get(key))

    async def mark_camera_degraded(self, checkpoint_id: str, camera_id: str, alert_id: str) -> None:
        key = keys.CAMERA_DEGRADED.format(checkpoint_id=checkpoint_id, camera_id=camera_id)
        await self._retry("camera", lambda: self._redis.set(key, alert_id))

    async def close_camera_alert(self, checkpoint_id: str, camera_id: str) -> None:
        key = keys.CAMERA_DEGRADED.format(checkpoint_id=checkpoint_id, camera_id=camera_id)
        await self._retry("camera", lambda: self._redis.delete(key))

    # --- ID checks -----------------------------------------------------------------------------

    async def first_sight_of_idcheck(self, event_id: str) -> bool:
        """True the first time an ID check's event id is seen (within 72 h)."""
        seen = keys.SEEN_IDCHECK.format(event_id=event_id)
        return bool(await self._retry("idcheck de-dup", lambda: self._redis.set(
            seen, 1, nx=True, ex=keys.NON_HIT_TTL_S)))

    async def count_duplicates(self, duplicates: int) -> None:
        """Passages the history already held (a box's re-send, a replay)."""
        await self._retry("duplicates", lambda: self._redis.hincrby(
            keys.STREAM_STATS, "duplicates", duplicates))

    async def count_idcheck(self, checkpoint_id: str, verdict: str) -> None:
        await self._transaction("idcheck count", lambda pipe: (
            pipe.hincrby(keys.CHECKPOINT_STATS.format(checkpoint_id=checkpoint_id),
                         f"idchecks_{verdict}", 1),
            pipe.hincrby(keys.STREAM_STATS, "idchecks", 1)))


def live(pipe: aioredis.client.Pipeline | redis.client.Pipeline, body: str) -> None:
    """Queue one alert event on the live stream consoles follow (and resume from by id)."""
    pipe.xadd(keys.LIVE_ALERTS, {"alert": body}, maxlen=keys.LIVE_ALERTS_MAXLEN,
              approximate=True)


def _record_arguments(passage: VehiclePassage,
                      outside: bool | None) -> tuple[list[str], list[object]]:
    """One passage's keys and arguments for ``record_passages.lua``."""
    cid = passage.checkpoint_id
    seen = passage.last_seen.timestamp()
    passage_keys = [keys.COUNTED_PASSAGE.format(event_id=passage.event_id),
                    keys.CHECKPOINT_STATS.format(checkpoint_id=cid)]
    passage_args: list[object] = [passage.dwell_seconds, "" if outside is None else int(outside)]
    for window in flow.WINDOW_S:
        start = flow.window_start(seen, window)
        passage_keys += [keys.FLOW.format(window=window, checkpoint_id=cid, start=start),
                         keys.FLOW_INDEX.format(window=window, checkpoint_id=cid)]
        passage_args += [start, flow.RETENTION_S[window]]
    return passage_keys, passage_args
