"""Passage search and plate traces over the history. Both need a reason and a case number, and
each is audited (who, what, why, how many results) before any result is shown."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from stream.console.search import Search, SearchError, like_patterns, parse_search
from stream.console.services import Services
from stream.console.sessions import Session
from stream.console.trace import layout, stops_of
from stream.console.web import fields, needs, page, services_of

router = APIRouter()
FIELDS = ("plate", "since", "until", "checkpoint_id", "one_wrong", "reason", "case_number")


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, session: Session = Depends(needs("alerts"))):
    return page(request, "search.html", session=session, form=_defaults())


@router.post("/search", response_class=HTMLResponse)
async def search(request: Request, session: Session = Depends(needs("alerts"))):
    form = fields(await request.form(), *FIELDS)
    try:
        query = _parse(form, form["checkpoint_id"], form["one_wrong"] == "on")
    except SearchError as exc:
        return page(request, "search.html", 422, session=session, form=form, error=str(exc))
    rows = await run_in_threadpool(audited_search, services_of(request), session, query)
    return page(request, "search.html", session=session, form=form, rows=rows, query=query)


@router.get("/trace", response_class=HTMLResponse)
async def trace_page(request: Request, session: Session = Depends(needs("alerts"))):
    return page(request, "trace.html", session=session, form=_defaults())


@router.post("/trace", response_class=HTMLResponse)
async def trace(request: Request, session: Session = Depends(needs("alerts"))):
    form = fields(await request.form(), *FIELDS)
    try:
        query = _parse(form, None, False)
        if set(query.plate) & set("*?"):
            raise SearchError("plate: a trace follows one plate, without * or ?")
    except SearchError as exc:
        return page(request, "trace.html", 422, session=session, form=form, error=str(exc))
    services = services_of(request)
    rows = await run_in_threadpool(audited_search, services, session, query, "trace")
    places = services.config.checkpoints
    return page(request, "trace.html", session=session, form=form, query=query,
                stops=stops_of(rows), points=layout(places), places=places)


def audited_search(services: Services, session: Session, query: Search,
                   kind: str = "search") -> list[dict]:
    """Run the search, and audit who, what, why and how many before anyone sees a result: if
    the audit log cannot take the record, the results are not shown."""
    rows = services.history.search(like_patterns(query), query.since, query.until,
                                   query.checkpoint_id)
    services.audit.append(session.username, kind, query.plate, reason=query.reason,
                          case_number=query.case_number,
                          details={**query.audit_details(), "results": len(rows)})
    return rows


def _parse(form: dict[str, str], checkpoint_id: str | None, one_wrong: bool) -> Search:
    return parse_search(form["plate"], _when(form["since"], "since"),
                        _when(form["until"], "until"), checkpoint_id, one_wrong,
                        form["reason"], form["case_number"])


def _defaults() -> dict[str, str]:
    now = datetime.now(timezone.utc)
    return {"since": (now - timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M"),
            "until": (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")}


def _when(text: str, field: str) -> datetime:
    """A form's date and time, in UTC (the console shows every time in UTC)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SearchError(f"{field}: give a date and time, e.g. 2026-12-01T08:00") from None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when
