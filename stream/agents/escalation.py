"""Alerts still 'new' after their priority's time (``escalate_after_s``) go out again with an
"escalated" action, until someone acknowledges them."""
from __future__ import annotations

import time

from stream.alerting import escalate_due
from stream.app import app


@app.task
async def escalate_unacknowledged() -> None:
    rt = app.runtime
    while not app.should_stop:
        await app.sleep(rt.config.escalation_check_s)
        await escalate_due(rt, time.time())
