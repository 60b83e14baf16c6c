"""What the console's routes use, built once per process by ``kakou-console serve`` (or by a
test, on the real services): Redis, the alerts topic, the history, the watchlist."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from stream.audit import AuditLog
from stream.console.accounts import Accounts
from stream.console.config import ConsoleConfig
from stream.console.desk import AlertPublisher, Desk
from stream.console.sessions import Sessions
from stream.history import HistoryReader
from stream.watchlist_api import WatchlistService, WatchlistStore


@dataclass
class Services:
    config: ConsoleConfig
    redis: redis.Redis              #: decode_responses=True
    redis_url: str                  #: each live stream opens its own connection (it blocks)
    publisher: AlertPublisher
    history: HistoryReader
    watchlist_store: WatchlistStore
    clock: Callable[[], float] | None = None

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.redis)
        self.sessions = Sessions(self.redis, self.config, clock=self.clock or time.time)
        self.audit = AuditLog(self.redis)
        self.desk = Desk(self.redis, self.audit, self.publisher,
                         covert_lists=self.config.covert_lists,
                         lock_wait_s=self.config.lock_wait_s)
        self.watchlists = WatchlistService(self.watchlist_store, self.audit)
