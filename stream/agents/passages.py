"""Passages → matches → alerts, traces, history and flow: the agent on kakou.passages.

Each batch is matched first (in memory, idempotent), its hits raise their alerts (once per
passage, by alert id), each passage is written once to the history (PostgreSQL, whose primary
key says which are new), and those new are counted in Redis's flow windows before the history
commits them; a crash in between re-matches and re-writes, never loses, never doubles (a
counted mark bridges a crash between the count and the commit for ``keys.COUNTED_TTL_S``).
"""
from __future__ import annotations

import asyncio
from datetime import datetime

import faust

from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import VehiclePassage
from stream import flow
from stream.alerting import publish_status, raise_or_attach
from stream.alerts import alert_for
from stream.app import app, passages_topic
from stream.consume import consume
from stream.history import Kept
from stream.keys import NON_HIT_TTL_S
from stream.match import Match, WatchlistIndex
from stream.runtime import Runtime
from stream.wire import StatusAlert


def match_passage(watchlist: WatchlistIndex, passage: VehiclePassage) -> list[Match]:
    """The watchlist entries the passage's reads hit: its best read, then its alternatives."""
    reads = [(passage.plate, "best"), *((a.text, "alternative") for a in passage.alternatives)]
    return watchlist.match(reads, passage.region, passage.last_seen)


async def alert_passage(rt: Runtime, passage: VehiclePassage, matches: list[Match],
                        now: datetime) -> None:
    """Traces and alerts for a passage that hit the watchlist. Traces are kept only for
    watched plates, and only for the trace window: no more data than needed."""
    for plate in {m.entry.plate or m.explanation.read for m in matches}:
        await rt.state.record_trace(plate, passage)
    for match in matches:
        await raise_or_attach(rt, alert_for(passage, match, now), passage.event_id)


def kept_for(rt: Runtime, passage: VehiclePassage, matches: list[Match]) -> Kept:
    """How long the history keeps a hit: the longest policy of the lists it hit."""
    lists = tuple(sorted({m.entry.list for m in matches}))
    keep = max(rt.config.hit_retention(name) for name in lists)
    return Kept(lists, passage.last_seen + keep)


async def handle_passages(rt: Runtime, passages: list[VehiclePassage]) -> None:
    """Match first, then record each passage once. The hits of a batch raise their alerts
    concurrently (each waits for Kafka's acknowledgement), and the counts of a batch go to
    Redis in one round trip."""
    if not passages:
        return
    now = utcnow()
    hits = [(p, matches) for p in passages if (matches := match_passage(rt.watchlist, p))]
    await asyncio.gather(*(alert_passage(rt, p, matches, now) for p, matches in hits))

    async def count(new: list[VehiclePassage]) -> None:
        outside = [flow.outside_home(p.plate, rt.config.checkpoint(p.checkpoint_id).home_prefixes)
                   for p in new]
        counts = await rt.state.record_passages(new, outside, now) if new else []
        for passage, vehicles in zip(new, counts):
            if vehicles is not None:
                await check_flow(rt, passage, vehicles, now)
    new = await rt.history.record(passages, {p.event_id: kept_for(rt, p, matches)
                                             for p, matches in hits}, now, then=count)
    # a box long offline: passages older than the history keeps still count in the flow
    # windows (kept for days), told apart from a replay only by their counted mark
    too_old = [p for p in passages if not rt.history.keeps(p, now)]
    await count(too_old)
    if len(new) + len(too_old) < len(passages):
        await rt.state.count_duplicates(len(passages) - len(new) - len(too_old))


async def check_flow(rt: Runtime, passage: VehiclePassage, vehicles: list[int],
                     now: datetime) -> None:
    """Warn when the passage took its windows over the checkpoint's thresholds."""
    thresholds = rt.config.checkpoint(passage.checkpoint_id).flow_warning
    for window, count in zip(flow.WINDOW_S, vehicles):
        start = flow.window_start(passage.last_seen.timestamp(), window)
        warning = flow.flow_warning(passage.checkpoint_id, window, start, int(count),
                                    thresholds.get(window), now)
        if warning is not None:
            await warn_flow(rt, warning)


async def warn_flow(rt: Runtime, warning: StatusAlert) -> None:
    """Publish a window's flow warning unless it went out already (once per window)."""
    if await rt.state.flow_warned(warning.alert_id):
        return
    await publish_status(rt, warning)
    ttl = flow.RETENTION_S[warning.flow.window] if warning.flow else NON_HIT_TTL_S
    await rt.state.mark_flow_warned(warning.alert_id, ttl)


@app.agent(passages_topic)
async def match_passages(stream: faust.StreamT) -> None:
    rt = app.runtime
    await rt.watchlist_ready.wait()
    await consume(rt, stream, VehiclePassage, lambda batch: handle_passages(rt, batch))
