"""ID checks → person-list matches → alerts: the agent on kakou.idchecks.

Only the check's subject tag is ever seen here, never a document number.
"""
from __future__ import annotations

import faust

from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import IdCheck
from stream.alerting import raise_or_attach
from stream.alerts import alert_for_idcheck
from stream.app import app, idchecks_topic
from stream.consume import consume, one_by_one
from stream.runtime import Runtime


async def handle_idcheck(rt: Runtime, check: IdCheck) -> None:
    """Match the check's tag against the person lists (alerts as for plates), then count its
    verdict once per checkpoint."""
    now = utcnow()
    if check.subject_tag is not None:
        for match in rt.watchlist.match_subject(check.subject_tag, check.key_id, check.time):
            await raise_or_attach(rt, alert_for_idcheck(check, match, now), check.event_id)
    if await rt.state.first_sight_of_idcheck(check.event_id):
        await rt.state.count_idcheck(check.checkpoint_id, check.verdict)


@app.agent(idchecks_topic)
async def match_idchecks(stream: faust.StreamT) -> None:
    rt = app.runtime
    await rt.watchlist_ready.wait()
    await consume(rt, stream, IdCheck, one_by_one(lambda check: handle_idcheck(rt, check)))
