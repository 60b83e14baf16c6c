"""Matches → alerts: the Alert event, and the Redis state the console reads.

Alert ids are deterministic (entry, passage), and the Redis record is written with SET NX, so a
passage replayed after a crash or a duplicate delivery never raises a second alert.
"""
from __future__ import annotations

from datetime import datetime

from checkpoint.contracts import Alert, IdCheck, VehiclePassage, alert_id_for
from stream.match import Match

# Redis keys: one place, read by the console too.
ALERT_KEY = "kakou:alert:{alert_id}"
OPEN_ALERTS = "kakou:alerts:open"            # zset alert_id -> raised_at (epoch s)
ALERTS_CHANNEL = "kakou:alerts"              # pub/sub: alert JSON, for live consoles
SEEN_PASSAGE = "kakou:seen:passage:{event_id}"
PASSAGE_KEY = "kakou:passage:{event_id}"
RECENT_PASSAGES = "kakou:passages:recent:{checkpoint_id}"  # zset event_id -> last_seen
CHECKPOINT_STATS = "kakou:stats:checkpoint:{checkpoint_id}"  # hash counters
HEARTBEAT_KEY = "kakou:heartbeat:{checkpoint_id}"
CHECKPOINTS = "kakou:checkpoints"            # zset checkpoint_id -> last heartbeat (epoch s)
ESCALATE_AT = "kakou:alerts:escalate-at"     # zset alert_id -> when to escalate (epoch s)
ESCALATION_LOCK = "kakou:lock:escalate:{alert_id}"
TRACE = "kakou:trace:{plate}"  # zset passage JSON -> time: where a watched plate passed, 24 h
TRACE_WINDOW_S = 24 * 3600
STATUS_ALERT_KEY = "kakou:status-alert:{alert_id}"
OFFLINE = "kakou:status:offline:{checkpoint_id}"              # -> the open offline alert's id
CAMERA_DEGRADED = "kakou:status:camera:{checkpoint_id}:{camera_id}"  # -> open degraded alert id
COOLDOWN = "kakou:cooldown:{entry_id}:{plate}:{checkpoint_id}"  # -> the visit's alert id
ALERT_PASSAGES = "kakou:alert:{alert_id}:passages"  # set: later passages of the same visit
DEADLETTER_STATS = "kakou:stats:deadletter"  # hash source topic -> count
DEADLETTER_SEEN = "kakou:seen:deadletter:{topic}:{partition}:{offset}"
DEADLETTER_TTL_S = 7 * 24 * 3600  # as long as the dead-letter topic keeps it
FLOW = "kakou:flow:{window}:{checkpoint_id}:{start}"  # hash: vehicles, dwell_s, known_region, outside
FLOW_INDEX = "kakou:flow:{window}:{checkpoint_id}"      # zset window start -> start
FLOW_WARNED = "kakou:flow-warned:{alert_id}"             # the window's warning went out
SEEN_IDCHECK = "kakou:seen:idcheck:{event_id}"
STREAM_STATS = "kakou:stats:stream"          # hash: passages, duplicates, alerts, idchecks, ...
AUDIT_LOG = "kakou:audit"            # stream: hash-chained audit records, stream id "<seq>-0"
AUDIT_HEAD = "kakou:audit:head"      # JSON {seq, hash} of the last record: appends WATCH it

NON_HIT_TTL_S = 72 * 3600  # design.md: non-hit passages are kept 72 hours by default


def alert_for(passage: VehiclePassage, match: Match, raised_at: datetime) -> Alert:
    """The alert raising event; its event id is the alert id, so a raise re-sent after a crash is
    an exact duplicate that consumers drop by event id (later updates get fresh event ids)."""
    entry = match.entry
    alert_id = alert_id_for(entry.entry_id, passage.event_id)
    return Alert(
        event_id=alert_id,
        alert_id=alert_id,
        raised_at=raised_at,
        checkpoint_id=passage.checkpoint_id,
        passage_id=passage.event_id,
        plate=passage.plate,
        entry=entry,
        match=match.explanation,
        priority=entry.priority,
        disposal=entry.disposal,
        evidence=passage.evidence,
    )


def alert_for_idcheck(check: IdCheck, match: Match, raised_at: datetime) -> Alert:
    """A person-list hit: the checked document's tag is on a list. No plate and no image: the
    officer at the lane has the person and the document in front of them."""
    entry = match.entry
    alert_id = alert_id_for(entry.entry_id, check.event_id)
    return Alert(event_id=alert_id, alert_id=alert_id, raised_at=raised_at,
                 checkpoint_id=check.checkpoint_id, passage_id=check.passage_id,
                 idcheck_id=check.event_id, entry=entry, match=match.explanation,
                 priority=entry.priority, disposal=entry.disposal)
