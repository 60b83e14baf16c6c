"""Matches → alerts: the Alert event for a watchlist hit, from a passage or an ID check.

Alert ids are deterministic (entry, source event), so a passage replayed after a crash or a
duplicate delivery builds the same alert, which the stream records only once.
"""
from __future__ import annotations

from datetime import datetime

from checkpoint.wire.edge import IdCheck, VehiclePassage
from stream.match import Match
from stream.wire import Alert, alert_id_for


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
        camera_id=passage.camera_id,
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
