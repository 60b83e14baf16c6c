"""Statistics: checkpoint and camera status, flow per hour, hits and hit rate, rejections."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from stream.console import statistics
from stream.console.services import Services
from stream.console.sessions import Session
from stream.console.web import needs, page, services_of

router = APIRouter()


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(request: Request, session: Session = Depends(needs("alerts"))):
    figures = await run_in_threadpool(_figures, services_of(request))
    return page(request, "stats.html", session=session, **figures)


def _figures(services: Services) -> dict:
    now = datetime.now(timezone.utc)
    ids = statistics.checkpoint_ids(services.redis, tuple(services.config.checkpoints))
    since = now - timedelta(hours=24)
    return {
        "states": [statistics.checkpoint_state(services.redis, cid,
                                               services.config.offline_after_s, now)
                   for cid in ids],
        "figures": [statistics.checkpoint_figures(services.redis, cid,
                                                  services.history.hits_per_hour(cid, since))
                    for cid in ids],
        "rejects_by_list": statistics.rejects_by_list(services.redis),
    }
