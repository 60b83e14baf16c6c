"""A durable local queue (SQLite in WAL mode): every event lands here before it goes to Kafka.

An edge box's uplink fails; its disk does not, usually. Events stay here, in order, until the
broker has acknowledged them, so the box keeps working and loses nothing while offline.
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SpooledEvent:
    seq: int
    topic: str
    key: bytes | None
    value: bytes


class Spool:
    """A FIFO of (topic, key, value) that survives crashes and power loss (synchronous=FULL)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " topic TEXT NOT NULL, key BLOB, value BLOB NOT NULL)"
        )

    def put(self, topic: str, key: bytes | None, value: bytes) -> int:
        with self._lock:
            cur = self._db.execute("INSERT INTO spool (topic, key, value) VALUES (?, ?, ?)",
                                   (topic, key, value))
            return int(cur.lastrowid)

    def peek(self, limit: int = 500) -> list[SpooledEvent]:
        """The oldest events, in the order they were put."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, key, value FROM spool ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [SpooledEvent(*row) for row in rows]

    def remove(self, seqs: list[int]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM spool WHERE seq = ?", [(s,) for s in seqs])

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM spool").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
