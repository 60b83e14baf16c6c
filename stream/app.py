"""The Faust app: passages → matches → alerts and flow; ID checks → person matches; heartbeats →
status; and dead letters.

Run with ``faust -A stream.app worker -l info``. Input topics are read as raw bytes and validated
here, so a malformed message is dead-lettered with its reason and the worker carries on; nothing
the edge sends can crash it. Every worker holds the whole watchlist, rebuilt from the compacted
``kakou.watchlist`` topic at start, and matches only once it has caught up.
"""
from __future__ import annotations

import asyncio
import base64
import gc
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import faust
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from checkpoint.contracts import (
    Alert, AlertAction, AlertState, ContractError, DeadLetter, Heartbeat, IdCheck, StatusAlert,
    VehiclePassage, WatchlistEntry, decode, encode, new_event_id, utcnow,
)
from checkpoint.settings import kafka_bootstrap, redis_url, replication_factor
from checkpoint.topics import (
    ALERTS, DEADLETTER, HEARTBEATS, IDCHECKS, PASSAGES, WATCHLIST, TopicSpec, ensure_topics,
)
from stream import alerts as keys
from stream import flow, status
from stream.alerts import alert_for, alert_for_idcheck
from stream.config import load_stream_config
from stream.match import Match, WatchlistIndex

log = logging.getLogger("kakou.stream")
T = TypeVar("T")
M = TypeVar("M", VehiclePassage, Heartbeat, IdCheck)


class KakouApp(faust.App):
    async def on_first_start(self) -> None:
        """Create kakou's topics (the broker never auto-creates them) before anything subscribes."""
        await asyncio.to_thread(ensure_topics)
        await super().on_first_start()


app = KakouApp(
    "kakou-stream",
    broker=[f"kafka://{host}" for host in kafka_bootstrap().split(",")],
    store="memory://",
    datadir=".kakou-stream",
    topic_replication_factor=replication_factor(),
    consumer_auto_offset_reset="earliest",
    producer_acks=-1,
)  # the worker CLI decides about the web server: run with --without-web, or give each a --web-port


def _raw_topic(spec: TopicSpec) -> faust.TopicT:
    return app.topic(spec.name, partitions=spec.partitions, internal=False, key_type=bytes,
                     value_type=bytes, key_serializer="raw", value_serializer="raw")


passages_topic = _raw_topic(PASSAGES)
idchecks_topic = _raw_topic(IDCHECKS)
heartbeats_topic = _raw_topic(HEARTBEATS)
alerts_topic = _raw_topic(ALERTS)
deadletter_topic = _raw_topic(DEADLETTER)

config = load_stream_config()
redis = aioredis.from_url(redis_url(), decode_responses=True)
watchlist = WatchlistIndex(policies=config.policies(), default_policy=config.default_match.policy())
watchlist_ready = asyncio.Event()


async def until_done(what: str, step: Callable[[], Awaitable[T]]) -> T:
    """Retry a Redis step until Redis answers: an outage delays processing, it loses nothing."""
    delay = 0.2
    while True:
        try:
            return await step()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            log.warning("%s: Redis unavailable (%s); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None


async def dead_letter(topic: str, partition: int, offset: int, key: bytes | None,
                      value: bytes | None, error: str) -> None:
    """Keep the original bytes with the reason and where they came from; count it.

    Once per source offset: a redelivery after a crash, or every worker re-reading the compacted
    watchlist, does not dead-letter the same message again.
    """
    once = keys.DEADLETTER_SEEN.format(topic=topic, partition=partition, offset=offset)
    if await until_done("dead-letter lookup", lambda: redis.exists(once)):
        return
    letter = DeadLetter(source_topic=topic, source_partition=partition, source_offset=offset,
                        key_b64=_b64(key), value_b64=_b64(value), error=error, failed_at=utcnow())
    await (await deadletter_topic.send(key=key, value=encode(letter)))

    async def record() -> None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(once, 1, ex=keys.DEADLETTER_TTL_S)
            pipe.hincrby(keys.DEADLETTER_STATS, topic, 1)
            await pipe.execute()

    await until_done("dead-letter record", record)
    log.warning("dead-lettered %s[%d]@%d: %s", topic, partition, offset, error)


async def _dead_letter_event(event: faust.EventT, error: str) -> None:
    msg = event.message
    await dead_letter(msg.topic, msg.partition, msg.offset, msg.key, msg.value, error)


# --- watchlist: every worker reads the whole compacted topic, without a consumer group ---------

def _apply_watchlist(key: bytes | None, value: bytes | None) -> None:
    """One change to the in-memory watchlist; a tombstone (null value) deletes the entry."""
    if value is None:
        if not key:
            raise ContractError("tombstone without a key")
        watchlist.remove(key.decode("utf-8", "replace"))
        return
    entry = decode(WatchlistEntry, value)
    try:
        watchlist.upsert(entry)
    except ValueError as exc:
        raise ContractError(str(exc)) from None


async def _caught_up(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for tp, offset in end.items():
        if await consumer.position(tp) < offset:
            return False
    return True


@app.task
async def follow_watchlist() -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = [TopicPartition(WATCHLIST.name, p) for p in range(WATCHLIST.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                for m in messages:
                    try:
                        _apply_watchlist(m.key, m.value)
                    except ContractError as exc:
                        await dead_letter(m.topic, m.partition, m.offset, m.key, m.value, str(exc))
            if not watchlist_ready.is_set() and await _caught_up(consumer, end):
                log.info("watchlist loaded: %d entries", len(watchlist))
                # Millions of long-lived entries: keep them out of the cyclic garbage
                # collector, whose full passes over them stalled matching for a second or more.
                gc.freeze()
                await until_done("stats", lambda: redis.hset(keys.STREAM_STATS, mapping={
                    "watchlist_entries": len(watchlist), "watchlist_loaded_at": time.time()}))
                watchlist_ready.set()
    finally:
        await consumer.stop()


# --- passages → matches → alerts -------------------------------------------------------------

async def raise_alert(alert: Alert) -> bool:
    """Publish and record an alert unless it exists already; True when it is new."""
    key = keys.ALERT_KEY.format(alert_id=alert.alert_id)
    if await until_done("alert lookup", lambda: redis.exists(key)):
        return False
    await (await alerts_topic.send(key=alert.alert_id.encode(), value=encode(alert)))
    body = alert.model_dump_json()

    async def record() -> None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(key, body, nx=True)
            pipe.zadd(keys.OPEN_ALERTS, {alert.alert_id: alert.raised_at.timestamp()})
            pipe.zadd(keys.ESCALATE_AT, {alert.alert_id: alert.raised_at.timestamp()
                                         + config.escalate_after_s[alert.priority]})
            pipe.publish(keys.ALERTS_CHANNEL, body)
            pipe.hincrby(keys.STREAM_STATS, "alerts", 1)
            await pipe.execute()

    await until_done("alert record", record)
    log.info("ALERT %s: %s at %s hits %s/%s (%s), priority %d: %s", alert.alert_id,
             f"plate {alert.plate}" if alert.plate else "ID check", alert.checkpoint_id,
             alert.entry.list, alert.entry.entry_id, alert.match.type, alert.priority,
             alert.disposal)
    return True


async def publish_alert(alert: Alert | StatusAlert, redis_key: str, *, ttl_s: int | None = None,
                        stat: str | None = None) -> None:
    """An alert event on kakou.alerts, then its latest state in Redis and to live consoles."""
    await (await alerts_topic.send(key=alert.alert_id.encode(), value=encode(alert)))
    body = alert.model_dump_json()

    async def record() -> None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(redis_key, body, ex=ttl_s)
            pipe.publish(keys.ALERTS_CHANNEL, body)
            if stat:
                pipe.hincrby(keys.STREAM_STATS, stat, 1)
            await pipe.execute()

    await until_done(f"publish {alert.kind}", record)


async def escalate(alert_id: str, now: float) -> bool:
    """Escalate one due alert if it is still 'new'; True when an escalation went out.

    A short lock keeps workers from escalating the same alert together; the alert leaves the
    schedule only after its escalation is out, so a crash re-escalates rather than loses it.
    """
    lock = keys.ESCALATION_LOCK.format(alert_id=alert_id)
    if not await redis.set(lock, 1, nx=True, ex=30):
        return False
    body = await redis.get(keys.ALERT_KEY.format(alert_id=alert_id))
    sent = False
    if body is not None:
        alert = Alert.model_validate_json(body)
        if alert.state == AlertState.NEW:
            waited = now - alert.raised_at.timestamp()
            action = AlertAction(who="kakou-stream", when=utcnow(), what="escalated",
                                 note=f"not acknowledged {waited:.0f} s after it was raised "
                                      f"(priority {alert.priority})")
            await publish_alert(alert.model_copy(update={
                "event_id": new_event_id(), "history": [*alert.history, action]}),
                keys.ALERT_KEY.format(alert_id=alert_id))
            await redis.hincrby(keys.STREAM_STATS, "escalations", 1)
            log.warning("ESCALATED %s: plate %s at %s, %s", alert_id, alert.plate,
                        alert.checkpoint_id, action.note)
            sent = True
    await redis.zrem(keys.ESCALATE_AT, alert_id)
    return sent


@app.timer(interval=config.escalation_check_s)
async def escalate_unacknowledged() -> None:
    now = time.time()
    try:
        due = await redis.zrangebyscore(keys.ESCALATE_AT, 0, now, start=0, num=100)
        for alert_id in due:
            await escalate(alert_id, now)
    except (RedisConnectionError, RedisTimeoutError) as exc:  # next tick tries again
        log.warning("escalation check skipped: Redis unavailable (%s)", exc)


async def earlier_alert_of_visit(alert: Alert) -> str | None:
    """The alert already raised for this (entry, plate, checkpoint) within the cool-down, if any.

    The first alert of a visit claims the key; a replay of the same passage finds its own id
    there and is raised (idempotently) again, so a crash between claim and raise loses nothing.
    """
    if config.alert_cooldown_s <= 0:
        return None
    key = keys.COOLDOWN.format(entry_id=alert.entry.entry_id,
                               plate=alert.plate or alert.match.read,  # a person: their tag
                               checkpoint_id=alert.checkpoint_id)
    if await until_done("cool-down", lambda: redis.set(key, alert.alert_id, nx=True,
                                                        ex=int(config.alert_cooldown_s))):
        return None
    holder = await until_done("cool-down", lambda: redis.get(key))
    return holder if holder not in (None, alert.alert_id) else None


async def raise_or_attach(alert: Alert, source_event_id: str) -> None:
    """Raise the alert, or, within the cool-down of an earlier one for the same (entry, plate or
    person, checkpoint), attach the event to that alert: one alert per checkpoint visit."""
    earlier = await earlier_alert_of_visit(alert)
    if earlier is None:
        await raise_alert(alert)
        return

    async def attach() -> None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.ALERT_PASSAGES.format(alert_id=earlier), source_event_id)
            pipe.hincrby(keys.STREAM_STATS, "alerts_within_cooldown", 1)
            await pipe.execute()

    await until_done("cool-down attach", attach)


async def record_trace(plate: str, passage: VehiclePassage) -> None:
    """Add the passage to the watched plate's trace: the checkpoints it passed in the last 24 h.

    Kept only for plates on a watchlist, and only for the trace window (design: no more data
    than needed). Members are the same JSON for the same passage, so a replay adds nothing."""
    key = keys.TRACE.format(plate=plate)
    stop = json.dumps({"checkpoint_id": passage.checkpoint_id, "camera_id": passage.camera_id,
                       "lane": passage.lane, "direction": passage.direction,
                       "passage_id": passage.event_id, "read": passage.plate,
                       "time": passage.last_seen.isoformat()}, sort_keys=True)
    seen = passage.last_seen.timestamp()

    async def record() -> None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {stop: seen})
            pipe.zremrangebyscore(key, 0, time.time() - keys.TRACE_WINDOW_S)
            pipe.expire(key, keys.TRACE_WINDOW_S)
            await pipe.execute()

    await until_done("trace", record)


def match_passage(passage: VehiclePassage) -> list[Match]:
    """The watchlist entries the passage's reads hit (pure, in memory)."""
    reads = [(passage.plate, "best"), *((a.text, "alternative") for a in passage.alternatives)]
    return watchlist.match(reads, passage.region, passage.last_seen)


async def alert_passage(passage: VehiclePassage, matches: list[Match], now: datetime) -> None:
    """Traces and alerts for a passage that hit the watchlist."""
    for plate in {m.entry.plate or m.explanation.read for m in matches}:
        await record_trace(plate, passage)
    for match in matches:
        await raise_or_attach(alert_for(passage, match, now), passage.event_id)


async def handle_passages(passages: list[VehiclePassage]) -> None:
    """Match first (idempotent), then record each passage once: a crash in between re-matches,
    never loses. The hits of a batch raise their alerts concurrently (each waits for Kafka's
    acknowledgement), and the records of a batch go to Redis in one round trip."""
    if not passages:
        return
    now = utcnow()
    hits = [(p, matches) for p in passages if (matches := match_passage(p))]
    await asyncio.gather(*(alert_passage(p, matches, now) for p, matches in hits))
    counts = await until_done("passage record", lambda: record_passages_once(passages, now))
    for passage, vehicles in zip(passages, counts):
        if vehicles is not None:
            await check_flow(passage, vehicles, now)


async def check_flow(passage: VehiclePassage, vehicles: list[int], now: datetime) -> None:
    """Warn when the passage took its windows over the checkpoint's thresholds."""
    thresholds = config.checkpoint(passage.checkpoint_id).flow_warning
    for window, count in zip(flow.WINDOW_S, vehicles):
        start = flow.window_start(passage.last_seen.timestamp(), window)
        warning = flow.flow_warning(passage.checkpoint_id, window, start, int(count),
                                    thresholds.get(window), now)
        if warning is not None:
            await warn_flow(warning)


#: Records each passage of a batch once (SET NX on its event id) with its flow counts, in one
#: atomic call, so a passage replayed after a crash is neither lost from nor counted twice in the
#: windows, and a batch costs one round trip. KEYS: stream stats, then per passage: seen,
#: passage, recent, checkpoint stats, (window hash, window index) for 1m and 1h. ARGV: TTL, now,
#: then per passage: JSON, event id, last seen, dwell, outside (1/0/'' for unknown), (start,
#: retention) for 1m and 1h. Returns per passage the two windows' counts after it, or 0 for a
#: passage already recorded.
_RECORD_PASSAGES = redis.register_script("""
local ttl, now, results = ARGV[1], tonumber(ARGV[2]), {}
for j = 0, (#KEYS - 1) / 8 - 1 do
  local k, a = 1 + 8 * j, 2 + 9 * j
  if not redis.call('SET', KEYS[k + 1], 1, 'NX', 'EX', ttl) then
    redis.call('HINCRBY', KEYS[1], 'duplicates', 1)
    results[j + 1] = 0
  else
    redis.call('SET', KEYS[k + 2], ARGV[a + 1], 'EX', ttl)
    redis.call('ZADD', KEYS[k + 3], ARGV[a + 3], ARGV[a + 2])
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], 0, now - ttl)
    redis.call('HINCRBY', KEYS[k + 4], 'passages', 1)
    redis.call('HINCRBY', KEYS[1], 'passages', 1)
    local counts = {}
    for i = 0, 1 do
      local window, index = KEYS[k + 5 + 2 * i], KEYS[k + 6 + 2 * i]
      local start, keep = ARGV[a + 6 + 2 * i], ARGV[a + 7 + 2 * i]
      counts[i + 1] = redis.call('HINCRBY', window, 'vehicles', 1)
      redis.call('HINCRBYFLOAT', window, 'dwell_s', ARGV[a + 4])
      if ARGV[a + 5] ~= '' then
        redis.call('HINCRBY', window, 'known_region', 1)
        redis.call('HINCRBY', window, 'outside', ARGV[a + 5])
      end
      redis.call('EXPIRE', window, keep)
      redis.call('ZADD', index, start, start)
      redis.call('ZREMRANGEBYSCORE', index, 0, now - keep)
      redis.call('EXPIRE', index, keep)
    end
    results[j + 1] = counts
  end
end
return results
""")


async def record_passages_once(passages: list[VehiclePassage],
                               now: datetime) -> list[list[int] | None]:
    """Keep each passage (72 h), count it per checkpoint and into its flow windows, once; the
    windows' counts after each (None for a passage recorded before)."""
    batch_keys: list[str] = [keys.STREAM_STATS]
    batch_args: list[object] = [keys.NON_HIT_TTL_S, now.timestamp()]
    for passage in passages:
        passage_keys, passage_args = _record_arguments(passage)
        batch_keys += passage_keys
        batch_args += passage_args
    results = await _RECORD_PASSAGES(keys=batch_keys, args=batch_args)
    return [counts or None for counts in results]


def _record_arguments(passage: VehiclePassage) -> tuple[list[str], list[object]]:
    """One passage's keys and arguments for ``_RECORD_PASSAGES``."""
    cid = passage.checkpoint_id
    seen = passage.last_seen.timestamp()
    outside = flow.outside_home(passage.plate, config.checkpoint(cid).home_prefixes)
    passage_keys = [keys.SEEN_PASSAGE.format(event_id=passage.event_id),
                    keys.PASSAGE_KEY.format(event_id=passage.event_id),
                    keys.RECENT_PASSAGES.format(checkpoint_id=cid),
                    keys.CHECKPOINT_STATS.format(checkpoint_id=cid)]
    passage_args: list[object] = [passage.model_dump_json(), passage.event_id, seen,
                                  passage.dwell_seconds, "" if outside is None else int(outside)]
    for window in flow.WINDOW_S:
        start = flow.window_start(seen, window)
        passage_keys += [keys.FLOW.format(window=window, checkpoint_id=cid, start=start),
                         keys.FLOW_INDEX.format(window=window, checkpoint_id=cid)]
        passage_args += [start, flow.RETENTION_S[window]]
    return passage_keys, passage_args


async def warn_flow(warning: StatusAlert) -> None:
    """Publish a window's flow warning unless it went out already (once per window)."""
    warned = keys.FLOW_WARNED.format(alert_id=warning.alert_id)
    if await until_done("flow warning", lambda: redis.exists(warned)):
        return
    await publish_status(warning)
    ttl = flow.RETENTION_S[warning.flow.window] if warning.flow else keys.NON_HIT_TTL_S
    await until_done("flow warning", lambda: redis.set(warned, 1, ex=ttl))


async def consume(stream: faust.StreamT, model: type[M],
                  handle: Callable[[list[M]], Awaitable[None]]) -> None:
    """Validate each message into ``model`` and handle them in batches (up to
    ``config.batch_max``, waiting at most ``config.batch_within_s``); what cannot be used is
    dead-lettered with why.

    When a batch trips a bug in ``handle``, its messages are handled again one by one and only
    the one that fails is dead-lettered (with the error): nothing crashes the agent, nothing is
    redelivered in a loop, and the rest of the batch is processed.
    """
    async for events in stream.take_events(config.batch_max, within=config.batch_within_s):
        batch: list[tuple[faust.EventT, M]] = []
        for event in events:
            try:
                batch.append((event, decode(model, event.value)))
            except ContractError as exc:
                await _dead_letter_event(event, str(exc))
        try:
            await handle([item for _, item in batch])
        except Exception:  # noqa: BLE001 - see docstring
            log.exception("processing a batch of %s failed; retrying one by one", model.__name__)
            for event, item in batch:
                try:
                    await handle([item])
                except Exception as exc:  # noqa: BLE001 - see docstring
                    log.exception("processing %s failed", model.__name__)
                    await _dead_letter_event(event, f"processing failed: {type(exc).__name__}: {exc}")


def one_by_one(handle: Callable[[M], Awaitable[None]]) -> Callable[[list[M]], Awaitable[None]]:
    """A batch handler from a handler of one (heartbeats and ID checks are few)."""
    async def each(items: list[M]) -> None:
        for item in items:
            await handle(item)
    return each


@app.agent(passages_topic)
async def match_passages(stream: faust.StreamT) -> None:
    await watchlist_ready.wait()
    await consume(stream, VehiclePassage, handle_passages)


# --- heartbeats and ID checks ----------------------------------------------------------------

async def publish_status(alert: StatusAlert) -> None:
    await publish_alert(alert, keys.STATUS_ALERT_KEY.format(alert_id=alert.alert_id),
                        ttl_s=keys.NON_HIT_TTL_S, stat=alert.kind)
    log.warning("STATUS %s %s %s: %s", alert.kind, alert.checkpoint_id, alert.camera_id or "",
                alert.detail)


async def record_heartbeat(beat: Heartbeat) -> None:
    """Keep the box's latest heartbeat; close its offline alert; flag cameras that fail."""
    async def record() -> None:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(keys.HEARTBEAT_KEY.format(checkpoint_id=beat.checkpoint_id),
                     beat.model_dump_json(), ex=24 * 3600)
            pipe.zadd(keys.CHECKPOINTS, {beat.checkpoint_id: beat.time.timestamp()},
                      gt=True)  # a late, older heartbeat never hides a newer one
            await pipe.execute()

    await until_done("heartbeat", record)
    now = utcnow()
    if now.timestamp() - beat.time.timestamp() < config.offline_after_s:
        offline = keys.OFFLINE.format(checkpoint_id=beat.checkpoint_id)
        if (open_id := await until_done("offline", lambda: redis.get(offline))) is not None:
            await publish_status(status.online_alert(open_id, beat.checkpoint_id, now))
            await until_done("offline", lambda: redis.delete(offline))
    for camera in beat.cameras:
        key = keys.CAMERA_DEGRADED.format(checkpoint_id=beat.checkpoint_id,
                                          camera_id=camera.camera_id)
        open_id = await until_done("camera", lambda: redis.get(key))
        change = status.camera_alert(beat.checkpoint_id, camera, open_id, now)
        if change is None:
            continue
        await publish_status(change)
        if change.kind == "camera-degraded":
            await until_done("camera", lambda: redis.set(key, change.alert_id))
        else:
            await until_done("camera", lambda: redis.delete(key))


@app.timer(interval=config.status_check_s)
async def watch_checkpoints() -> None:
    """Raise checkpoint-offline for every box whose heartbeats stopped (once per outage)."""
    now = utcnow()
    try:
        silent = await redis.zrangebyscore(keys.CHECKPOINTS, 0,
                                           now.timestamp() - config.offline_after_s,
                                           withscores=True)
        for checkpoint_id, last_beat in silent:
            offline = keys.OFFLINE.format(checkpoint_id=checkpoint_id)
            if await redis.exists(offline):
                continue
            alert = status.offline_alert(checkpoint_id, last_beat, now)
            await publish_status(alert)
            await redis.set(offline, alert.alert_id)
    except (RedisConnectionError, RedisTimeoutError) as exc:  # the next tick tries again
        log.warning("checkpoint watch skipped: Redis unavailable (%s)", exc)


async def handle_idcheck(check: IdCheck) -> None:
    """Match the check's subject tag against the person lists (alerts as for plates), then
    count its verdict once per checkpoint. Only the tag is ever seen here, never a number."""
    now = utcnow()
    if check.subject_tag is not None:
        for match in watchlist.match_subject(check.subject_tag, check.key_id, check.time):
            await raise_or_attach(alert_for_idcheck(check, match, now), check.event_id)
    seen = keys.SEEN_IDCHECK.format(event_id=check.event_id)
    if not await until_done("idcheck de-dup", lambda: redis.set(seen, 1, nx=True,
                                                                 ex=keys.NON_HIT_TTL_S)):
        return

    async def count() -> None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(keys.CHECKPOINT_STATS.format(checkpoint_id=check.checkpoint_id),
                         f"idchecks_{check.verdict}", 1)
            pipe.hincrby(keys.STREAM_STATS, "idchecks", 1)
            await pipe.execute()

    await until_done("idcheck count", count)


@app.agent(heartbeats_topic)
async def track_heartbeats(stream: faust.StreamT) -> None:
    await consume(stream, Heartbeat, one_by_one(record_heartbeat))


@app.agent(idchecks_topic)
async def match_idchecks(stream: faust.StreamT) -> None:
    await watchlist_ready.wait()
    await consume(stream, IdCheck, one_by_one(handle_idcheck))
