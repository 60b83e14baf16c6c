"""In-memory stand-ins for a worker's Redis state and Kafka outbox, so agents' handlers run in
unit tests; the real ones are exercised by tests/integration on the real services."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from stream.config import StreamConfig
from stream.match import WatchlistIndex
from stream.runtime import Runtime


class FakeOutbox:
    def __init__(self) -> None:
        self.alerts: list = []
        self.letters: list = []

    async def send_alert(self, alert) -> None:
        self.alerts.append(alert)

    async def send_dead_letter(self, key, letter) -> None:
        self.letters.append(letter)


class FakeState:
    """What ``stream.state.StreamState`` keeps, as dicts and sets."""

    def __init__(self) -> None:
        self.alerts: dict[str, object] = {}
        self.escalate_at: dict[str, float] = {}
        self.status: dict[str, object] = {}
        self.stats: dict[str, int] = defaultdict(int)
        self.traces: dict[str, list] = defaultdict(list)
        self.passages: dict[str, object] = {}
        self.windows: dict[tuple[str, str], int] = defaultdict(int)
        self.visits: dict[tuple[str, str, str], str] = {}
        self.attached: dict[str, set[str]] = defaultdict(set)
        self.flow_warned_ids: set[str] = set()
        self.heartbeats: dict[str, object] = {}
        self.offline: dict[str, str] = {}
        self.cameras: dict[tuple[str, str], str] = {}
        self.idchecks: set[str] = set()
        self.locks: set[str] = set()

    async def alert_exists(self, alert_id):
        return alert_id in self.alerts

    async def record_new_alert(self, alert, escalate_at):
        self.alerts.setdefault(alert.alert_id, alert)
        self.escalate_at[alert.alert_id] = escalate_at
        self.stats["alerts"] += 1

    async def record_alert_update(self, alert, stat):
        self.alerts[alert.alert_id] = alert
        self.stats[stat] += 1

    async def record_status_alert(self, alert):
        self.status[alert.alert_id] = alert
        self.stats[alert.kind] += 1

    async def alert(self, alert_id):
        return self.alerts.get(alert_id)

    async def due_escalations(self, now, limit=100):
        return [a for a, at in sorted(self.escalate_at.items(), key=lambda kv: kv[1]) if at <= now][:limit]

    async def lock_alert(self, alert_id):
        if alert_id in self.locks:
            return None
        self.locks.add(alert_id)
        return alert_id

    async def unlock_alert(self, alert_id, token):
        self.locks.discard(alert_id)

    async def escalation_due(self, alert_id, now):
        return self.escalate_at.get(alert_id, now + 1) <= now

    async def unschedule_escalation(self, alert_id):
        self.escalate_at.pop(alert_id, None)

    async def visit_holder(self, entry_id, plate, checkpoint_id, alert_id, ttl_s):
        holder = self.visits.setdefault((entry_id, plate, checkpoint_id), alert_id)
        return None if holder == alert_id else holder

    async def attach_to_alert(self, alert_id, source_event_id):
        self.attached[alert_id].add(source_event_id)

    async def record_trace(self, plate, passage):
        if passage.event_id not in [p.event_id for p in self.traces[plate]]:
            self.traces[plate].append(passage)

    async def record_passages(self, passages, outside, now: datetime):
        counts = []
        for passage in passages:
            if passage.event_id in self.passages:
                counts.append(None)
                continue
            self.passages[passage.event_id] = passage
            self.stats["passages"] += 1
            minute = passage.last_seen.strftime("%H:%M")
            hour = passage.last_seen.strftime("%H")
            self.windows[(passage.checkpoint_id, minute)] += 1
            self.windows[(passage.checkpoint_id, hour)] += 1
            counts.append([self.windows[(passage.checkpoint_id, minute)],
                           self.windows[(passage.checkpoint_id, hour)]])
        return counts

    async def count_duplicates(self, duplicates):
        self.stats["duplicates"] += duplicates

    async def flow_warned(self, alert_id):
        return alert_id in self.flow_warned_ids

    async def mark_flow_warned(self, alert_id, ttl_s):
        self.flow_warned_ids.add(alert_id)

    async def record_heartbeat(self, beat):
        self.heartbeats[beat.checkpoint_id] = beat

    async def silent_checkpoints(self, since):
        return [(cid, b.time.timestamp()) for cid, b in self.heartbeats.items()
                if b.time.timestamp() <= since]

    async def open_offline_alert(self, checkpoint_id):
        return self.offline.get(checkpoint_id)

    async def mark_offline(self, checkpoint_id, alert_id):
        self.offline[checkpoint_id] = alert_id

    async def close_offline(self, checkpoint_id):
        self.offline.pop(checkpoint_id, None)

    async def open_camera_alert(self, checkpoint_id, camera_id):
        return self.cameras.get((checkpoint_id, camera_id))

    async def mark_camera_degraded(self, checkpoint_id, camera_id, alert_id):
        self.cameras[(checkpoint_id, camera_id)] = alert_id

    async def close_camera_alert(self, checkpoint_id, camera_id):
        self.cameras.pop((checkpoint_id, camera_id), None)

    async def first_sight_of_idcheck(self, event_id):
        if event_id in self.idchecks:
            return False
        self.idchecks.add(event_id)
        return True

    async def count_idcheck(self, checkpoint_id, verdict):
        self.stats[f"{checkpoint_id}:idchecks_{verdict}"] += 1


class FakeHistory:
    """The passage history in memory: each passage once, and the hits' kept records."""

    def __init__(self, window: timedelta = timedelta(hours=72)) -> None:
        self.window = window
        self.passages: dict[str, object] = {}
        self.kept: dict[str, object] = {}

    def keeps(self, passage, now):
        return passage.last_seen > now - self.window

    async def record(self, passages, kept, now, then=None):
        new = {p.event_id: p for p in passages
               if p.event_id not in self.passages and self.keeps(p, now)}
        if then is not None:
            await then(list(new.values()))
        self.passages.update(new)
        self.kept.update(kept)
        return list(new.values())

    async def drop_expired(self, now):
        return []


def runtime(config: StreamConfig | None = None, entries=()) -> Runtime:
    """A runtime on fakes, its watchlist loaded with ``entries``."""
    config = config or StreamConfig()
    index = WatchlistIndex(policies=config.policies(), default_policy=config.default_match.policy())
    for entry in entries:
        index.upsert(entry)
    rt = Runtime(config, FakeState(), FakeOutbox(), index, FakeHistory())
    rt.watchlist_ready.set()
    return rt
