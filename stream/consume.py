"""What comes in: each message validated into its model or dead-lettered with why, then handled
in batches; a bug in a handler dead-letters the one message that trips it, nothing more.
"""
from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from checkpoint.wire.base import ContractError, decode, utcnow
from checkpoint.wire.edge import Heartbeat, IdCheck, VehiclePassage
from stream.runtime import Runtime
from stream.wire import DeadLetter

log = logging.getLogger("kakou.stream")
M = TypeVar("M", VehiclePassage, Heartbeat, IdCheck)


class Message(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


#: The most original bytes a dead letter carries whole (key and value each): base64 makes them
#: a third larger, and the letter must stay under the producer's 1 MiB request limit.
CARRY_MAX_BYTES = 256 * 1024
#: The longest reason kept (a validator's message can quote a huge input).
ERROR_MAX_CHARS = 2000


def _carried(data: bytes | None) -> tuple[str | None, int | None, str | None]:
    """(base64, size, SHA-256) of a key or value: the bytes whole when they fit, else the
    size and digest only."""
    if data is None:
        return None, None, None
    if len(data) <= CARRY_MAX_BYTES:
        return base64.b64encode(data).decode("ascii"), len(data), None
    return None, len(data), hashlib.sha256(data).hexdigest()


def _reason(error: str) -> str:
    if len(error) <= ERROR_MAX_CHARS:
        return error
    return error[:ERROR_MAX_CHARS] + f"... ({len(error) - ERROR_MAX_CHARS} more characters)"


async def dead_letter(rt: Runtime, msg: Message, error: str) -> None:
    """Keep the original bytes (or, too large to carry, their size and digest) with the reason
    and where they came from; count it. The letter's own key is the original key, or its digest
    when that is too large.

    Once per source offset: a redelivery after a crash, or every worker re-reading the compacted
    watchlist, does not dead-letter the same message again.
    """
    if await rt.state.dead_letter_seen(msg.topic, msg.partition, msg.offset):
        return
    key_b64, key_bytes, key_sha = _carried(msg.key)
    value_b64, value_bytes, value_sha = _carried(msg.value)
    letter = DeadLetter(source_topic=msg.topic, source_partition=msg.partition,
                        source_offset=msg.offset, key_b64=key_b64, value_b64=value_b64,
                        key_bytes=key_bytes, value_bytes=value_bytes, key_sha256=key_sha,
                        value_sha256=value_sha, error=_reason(error), failed_at=utcnow())
    await rt.outbox.send_dead_letter(msg.key if key_sha is None else key_sha.encode(), letter)
    await rt.state.record_dead_letter(msg.topic, msg.partition, msg.offset)
    log.warning("dead-lettered %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset,
                letter.error[:200])


class Stream(Protocol):
    """The part of a Faust stream ``consume`` uses: batches of events with their messages."""

    def take_events(self, max_: int, within: float): ...


async def consume(rt: Runtime, stream: Stream, model: type[M],
                  handle: Callable[[list[M]], Awaitable[None]]) -> None:
    """Validate each message into ``model`` and handle them in batches (up to
    ``config.batch_max``, waiting at most ``config.batch_within_s``); what cannot be used is
    dead-lettered with why.

    When a batch trips a bug in ``handle``, its messages are handled again one by one and only
    the one that fails is dead-lettered (with the error): nothing crashes the agent, nothing is
    redelivered in a loop, and the rest of the batch is processed.
    """
    async for events in stream.take_events(rt.config.batch_max, within=rt.config.batch_within_s):
        batch = []
        for event in events:
            try:
                batch.append((event, decode(model, event.value)))
            except ContractError as exc:
                await dead_letter(rt, event.message, str(exc))
        try:
            await handle([item for _, item in batch])
        except Exception:  # noqa: BLE001 - see docstring
            log.exception("processing a batch of %s failed; retrying one by one", model.__name__)
            for event, item in batch:
                try:
                    await handle([item])
                except Exception as exc:  # noqa: BLE001 - see docstring
                    log.exception("processing %s failed", model.__name__)
                    await dead_letter(rt, event.message,
                                      f"processing failed: {type(exc).__name__}: {exc}")


def one_by_one(handle: Callable[[M], Awaitable[None]]) -> Callable[[list[M]], Awaitable[None]]:
    """A batch handler from a handler of one (heartbeats and ID checks are few)."""
    async def each(items: list[M]) -> None:
        for item in items:
            await handle(item)
    return each
