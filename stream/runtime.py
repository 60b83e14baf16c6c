"""What one worker's agents share: the config, the Redis state, the in-memory watchlist, and the
outbox to Kafka. Built once when the worker starts (``stream.app.KakouApp.on_first_start``),
never at import, so agents and their handlers import without side effects; tests build one
from fakes.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from datetime import timedelta

from stream.config import StreamConfig, load_stream_config
from stream.history import PassageHistory
from stream.match import WatchlistIndex
from stream.settings import database_url, redis_url
from stream.state import StreamState
from stream.wire import Alert, DeadLetter, StatusAlert


class Outbox(Protocol):
    """The stream's own topics; each send returns once Kafka has acknowledged it."""

    async def send_alert(self, alert: Alert | StatusAlert) -> None: ...

    async def send_dead_letter(self, key: bytes | None, letter: DeadLetter) -> None: ...


class History(Protocol):
    """The passage history (``stream.history.PassageHistory``)."""

    def keeps(self, passage, now) -> bool: ...

    async def record(self, passages, kept, now, then=None) -> list: ...

    async def drop_expired(self, now) -> list[str]: ...


@dataclass
class Runtime:
    config: StreamConfig
    state: StreamState
    outbox: Outbox
    watchlist: WatchlistIndex
    history: History
    #: set once the whole compacted watchlist topic is in ``watchlist``: matching waits for it
    watchlist_ready: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def start(cls, outbox: Outbox) -> Runtime:
        """The worker's runtime from its config file (``KAKOU_STREAM_CONFIG``), ``REDIS_URL``
        and ``DATABASE_URL``."""
        config = load_stream_config()
        watchlist = WatchlistIndex(policies=config.policies(),
                                   default_policy=config.default_match.policy())
        history = PassageHistory(database_url(), timedelta(hours=config.history_hours))
        return cls(config, StreamState.connect(redis_url()), outbox, watchlist, history)
