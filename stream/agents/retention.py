"""The history forgets on time: hourly partitions past the history window are dropped whole,
kept hits past their list's policy deleted (unless on legal hold)."""
from __future__ import annotations

import logging

from checkpoint.wire.base import utcnow
from stream.app import app

log = logging.getLogger("kakou.stream")


@app.task
async def drop_expired_history() -> None:
    rt = app.runtime
    while not app.should_stop:
        dropped = await rt.history.drop_expired(utcnow())
        if dropped:
            log.info("history: dropped %d expired partitions (%s ... %s)", len(dropped),
                     dropped[0], dropped[-1])
        await app.sleep(rt.config.retention_check_s)
