"""The watchlist, held whole in every worker: read from the compacted topic without a consumer
group, from its beginning, and followed for changes. Matching waits until it has caught up.
"""
from __future__ import annotations

import gc
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from checkpoint.wire.base import ContractError, decode
from checkpoint.wire.settings import kafka_bootstrap, kafka_security
from checkpoint.wire.topics import WATCHLIST
from stream.app import aiokafka_security, app
from stream.consume import dead_letter
from stream.match import WatchlistIndex
from stream.wire import WatchlistEntry

log = logging.getLogger("kakou.stream")


def apply_change(index: WatchlistIndex, key: bytes | None, value: bytes | None) -> None:
    """One change to the in-memory watchlist; a tombstone (null value) deletes the entry.
    ContractError for a message that is neither."""
    if value is None:
        if not key:
            raise ContractError("tombstone without a key")
        index.remove(key.decode("utf-8", "replace"))
        return
    entry = decode(WatchlistEntry, value)
    try:
        index.upsert(entry)
    except ValueError as exc:
        raise ContractError(str(exc)) from None


async def _caught_up(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for tp, offset in end.items():
        if await consumer.position(tp) < offset:
            return False
    return True


@app.task
async def follow_watchlist() -> None:
    rt = app.runtime
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), group_id=None,
                                **aiokafka_security(kafka_security()),
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
                        apply_change(rt.watchlist, m.key, m.value)
                    except ContractError as exc:
                        await dead_letter(rt, m, str(exc))
            if not rt.watchlist_ready.is_set() and await _caught_up(consumer, end):
                log.info("watchlist loaded: %d entries", len(rt.watchlist))
                # Millions of long-lived entries: keep them out of the cyclic garbage
                # collector, whose full passes over them stalled matching for a second or more.
                gc.freeze()
                await rt.state.record_watchlist_loaded(len(rt.watchlist))
                rt.watchlist_ready.set()
    finally:
        await consumer.stop()
