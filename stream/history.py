"""The passage history in PostgreSQL: every passage once, in hourly partitions that retention
drops whole, and the hits kept apart for as long as their list's policy says.

``passages`` is partitioned by ``last_seen`` (one partition per UTC hour, created as passages
arrive); its primary key is (event_id, last_seen), and a passage's last_seen never changes, so a
replayed passage is written once (``ON CONFLICT DO NOTHING``). Dropping the partitions older
than the history window forgets non-hit passages at once, without a slow DELETE. A passage that
hit a list is also copied to ``kept_passages`` with the date its longest list keeps it until;
a legal hold keeps a record past that date until it is lifted.

``PassageHistory`` is the stream's writer (async); ``HistoryReader`` the console's reader (sync).
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg.rows import dict_row

from checkpoint.wire.edge import VehiclePassage

log = logging.getLogger("kakou.stream")

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE IF NOT EXISTS passages (
    event_id text NOT NULL,
    last_seen timestamptz NOT NULL,
    first_seen timestamptz NOT NULL,
    checkpoint_id text NOT NULL,
    lane text NOT NULL,
    camera_id text NOT NULL,
    direction text NOT NULL,
    plate text COLLATE "C" NOT NULL,
    region text,
    plate_confidence real NOT NULL,
    alternatives jsonb NOT NULL,
    plate_jpeg_b64 text,
    scene_ref text,
    dwell_seconds real NOT NULL,
    hit boolean NOT NULL,
    PRIMARY KEY (event_id, last_seen)
) PARTITION BY RANGE (last_seen);
CREATE INDEX IF NOT EXISTS passages_plate_trgm ON passages USING gin (plate gin_trgm_ops);
CREATE INDEX IF NOT EXISTS passages_plate_time ON passages (plate, last_seen);
CREATE INDEX IF NOT EXISTS passages_checkpoint_time ON passages (checkpoint_id, last_seen);
CREATE TABLE IF NOT EXISTS kept_passages (
    LIKE passages,
    lists text[] NOT NULL,
    keep_until timestamptz NOT NULL,
    legal_hold text,
    PRIMARY KEY (event_id)
);
CREATE INDEX IF NOT EXISTS kept_plate_trgm ON kept_passages USING gin (plate gin_trgm_ops);
CREATE INDEX IF NOT EXISTS kept_time ON kept_passages (last_seen);
"""
COLUMNS = ("event_id", "last_seen", "first_seen", "checkpoint_id", "lane", "camera_id",
           "direction", "plate", "region", "plate_confidence", "alternatives", "plate_jpeg_b64",
           "scene_ref", "dwell_seconds", "hit")
_INSERT = (f"INSERT INTO passages ({', '.join(COLUMNS)}) VALUES "
           f"({', '.join(['%s'] * len(COLUMNS))}) ON CONFLICT DO NOTHING RETURNING event_id")
_KEEP = (f"INSERT INTO kept_passages ({', '.join(COLUMNS)}, lists, keep_until) VALUES "
         f"({', '.join(['%s'] * (len(COLUMNS) + 2))}) ON CONFLICT (event_id) DO UPDATE SET "
         "lists = ARRAY(SELECT DISTINCT unnest(kept_passages.lists || EXCLUDED.lists)), "
         "keep_until = GREATEST(kept_passages.keep_until, EXCLUDED.keep_until)")


def hour_of(when: datetime) -> datetime:
    return when.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def partition_name(hour: datetime) -> str:
    return f"passages_{hour:%Y%m%d%H}"


def partition_ddl(hour: datetime) -> str:
    """The partition that holds the passages of ``hour`` (UTC)."""
    end = hour + timedelta(hours=1)
    return (f"CREATE TABLE IF NOT EXISTS {partition_name(hour)} PARTITION OF passages "
            f"FOR VALUES FROM ('{hour.isoformat()}') TO ('{end.isoformat()}')")


def row_of(passage: VehiclePassage, hit: bool) -> tuple:
    return (passage.event_id, passage.last_seen, passage.first_seen, passage.checkpoint_id,
            passage.lane, passage.camera_id, passage.direction.value, passage.plate,
            passage.region, passage.plate_confidence,
            json.dumps([a.model_dump() for a in passage.alternatives], ensure_ascii=False),
            passage.evidence.plate_jpeg_b64, passage.evidence.scene_ref, passage.dwell_seconds,
            hit)


@dataclass(frozen=True)
class Kept:
    """A hit's lists, and when the longest of their policies lets it go."""

    lists: tuple[str, ...]
    keep_until: datetime


class PassageHistory:
    """The stream worker's writer: one connection, retried until PostgreSQL answers (an outage
    delays processing; it loses nothing), partitions made as their hours arrive."""

    def __init__(self, url: str, window: timedelta) -> None:
        self._url, self._window = url, window
        self._conn: psycopg.AsyncConnection | None = None
        self._hours: set[datetime] = set()

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            async with self._conn.cursor() as cur:
                await cur.execute("SELECT pg_advisory_lock(727100)")  # one schema writer at once
                try:
                    await cur.execute(SCHEMA)
                finally:
                    await cur.execute("SELECT pg_advisory_unlock(727100)")
            self._hours.clear()
        return self._conn

    async def _retry(self, what: str, step):
        delay = 0.2
        while True:
            try:
                return await step(await self._connection())
            except psycopg.OperationalError as exc:
                log.warning("%s: PostgreSQL unavailable (%s); retrying in %.1fs", what, exc, delay)
                if self._conn is not None:
                    await self._conn.close()
                self._conn = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def keeps(self, passage: VehiclePassage, now: datetime) -> bool:
        """Whether the passage is inside the history's window (older ones are not written)."""
        return passage.last_seen > now - self._window

    async def record(self, passages: Sequence[VehiclePassage], kept: dict[str, Kept],
                     now: datetime, then: Callable[[list[VehiclePassage]], Awaitable[None]]
                     | None = None) -> list[VehiclePassage]:
        """Write each passage once (those already past the window are not written: retention
        would drop them at once); hits also to kept_passages. The passages stored now for the
        first time, which ``then`` is given before they are committed: the history's primary
        key says what is new for as long as the window, and what ``then`` counts is counted
        once (a crash before the commit stores and gives them again)."""
        fresh = [p for p in passages if self.keeps(p, now)]
        if not fresh:
            return []

        async def write(conn: psycopg.AsyncConnection) -> list[VehiclePassage]:
            await self._ensure_partitions(conn, {hour_of(p.last_seen) for p in fresh})
            async with conn.transaction(), conn.cursor() as cur:
                await cur.executemany(_INSERT, [row_of(p, p.event_id in kept) for p in fresh],
                                      returning=True)
                stored = set()
                while True:
                    stored.update(row[0] for row in await cur.fetchall())
                    if not cur.nextset():
                        break
                hits = [(*row_of(p, True), list(kept[p.event_id].lists),
                         kept[p.event_id].keep_until) for p in passages if p.event_id in kept]
                if hits:
                    await cur.executemany(_KEEP, hits)
                new = list({p.event_id: p for p in fresh if p.event_id in stored}.values())
                if then is not None:
                    await then(new)
                return new
        return await self._retry("history write", write)

    async def _ensure_partitions(self, conn: psycopg.AsyncConnection,
                                 hours: Iterable[datetime]) -> None:
        for hour in sorted(set(hours) - self._hours):
            try:
                await conn.execute(partition_ddl(hour))
            except (psycopg.errors.DuplicateTable, psycopg.errors.UniqueViolation):
                pass  # another worker made it between our look and our create
            self._hours.add(hour)

    async def drop_expired(self, now: datetime) -> list[str]:
        """Drop every hourly partition wholly older than the window, and the kept hits past
        their date and not on legal hold; the partitions dropped."""
        cutoff = hour_of(now - self._window)

        async def drop(conn: psycopg.AsyncConnection) -> list[str]:
            cur = await conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'passages'")
            names = [r[0] for r in await cur.fetchall()]
            old = [n for n in names if n < partition_name(cutoff)]
            for name in sorted(old):
                await conn.execute(f"DROP TABLE IF EXISTS {name}")
            await conn.execute("DELETE FROM kept_passages WHERE keep_until < %s "
                               "AND legal_hold IS NULL", (now,))
            self._hours = {h for h in self._hours if partition_name(h) not in old}
            return old
        return await self._retry("history retention", drop)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()


class HistoryReader:
    """The console's reads: passages by plate pattern, time and checkpoint (searches and traces);
    hits per hour; which passages are stored (the demo and the tests wait on it)."""

    def __init__(self, url: str) -> None:
        self._url = url

    def _query(self, sql: str, args: Sequence) -> list[dict]:
        with psycopg.connect(self._url, row_factory=dict_row) as conn:
            return conn.execute(sql, args).fetchall()

    def search(self, like_patterns: Sequence[str], since: datetime, until: datetime,
               checkpoint_id: str | None = None, limit: int = 500) -> list[dict]:
        """Passages whose plate matches any of the LIKE patterns, newest first, with hits kept
        past the window included once. Each pattern is its own condition (a literal plate an
        equality), so each can use an index: the plate's C-collated b-tree for equality and
        prefixes, its trigram index for the rest."""
        plate = " OR ".join("plate = %s" if _literal(p) else "plate LIKE %s"
                            for p in like_patterns)
        where = f"({plate}) AND last_seen >= %s AND last_seen < %s"
        args: list = [*(_unescape(p) if _literal(p) else p for p in like_patterns), since,
                      until]
        if checkpoint_id:
            where += " AND checkpoint_id = %s"
            args.append(checkpoint_id)
        columns = ", ".join(COLUMNS)
        sql = (f"SELECT DISTINCT ON (last_seen, event_id) * FROM ("
               f"SELECT {columns} FROM passages WHERE {where} UNION ALL "
               f"SELECT {columns} FROM kept_passages WHERE {where}) found "
               f"ORDER BY last_seen DESC, event_id LIMIT %s")
        return self._query(sql, [*args, *args, limit])

    def stored(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these passages the history holds: the stream has handled them whole (their
        alerts raised and flow counted before the history committed them)."""
        rows = self._query("SELECT DISTINCT event_id FROM passages WHERE event_id = ANY(%s)",
                           [list(event_ids)])
        return {r["event_id"] for r in rows}

    def hits_per_hour(self, checkpoint_id: str, since: datetime) -> dict[datetime, tuple[int, int]]:
        """(hits, passages) per hour at the checkpoint since ``since``."""
        rows = self._query(
            "SELECT date_trunc('hour', last_seen) AS hour, count(*) FILTER (WHERE hit) AS hits, "
            "count(*) AS passages FROM passages WHERE checkpoint_id = %s AND last_seen >= %s "
            "GROUP BY 1 ORDER BY 1", (checkpoint_id, since))
        return {r["hour"]: (r["hits"], r["passages"]) for r in rows}


def _literal(pattern: str) -> bool:
    """Whether a LIKE pattern (backslash escapes) has no wildcard."""
    return not re.search(r"(?<!\\)[%_]", pattern.replace("\\\\", ""))


def _unescape(pattern: str) -> str:
    return re.sub(r"\\(.)", r"\1", pattern)
