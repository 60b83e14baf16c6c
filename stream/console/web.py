"""What every console route shares: its services, its templates, and the session it needs.

``needs(capability)`` is the one gate: a live session (else 401; pages redirect to the login),
a role with the capability (else 403), and on every POST the session's CSRF token (a form field
or the ``X-CSRF-Token`` header) and, when the browser names one, an ``Origin`` of this host.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from stream.console.accounts import CAN
from stream.console.desk import Viewer
from stream.console.services import Services
from stream.console.sessions import COOKIE, Session
from stream.console.trace import duration
from stream.console.workflow import CHECKS, OUTCOMES, REJECT_REASONS

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")


def _age(when: datetime | None) -> str:
    if when is None:
        return "never"
    days = (datetime.now(timezone.utc) - when).days
    return "today" if days <= 0 else f"{days} days ago"


TEMPLATES.env.globals.update(CHECKS=CHECKS, REJECT_REASONS=REJECT_REASONS, OUTCOMES=OUTCOMES)
TEMPLATES.env.filters.update(age=_age, duration=duration)


def services_of(request: Request) -> Services:
    return request.app.state.services


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name,
                                      {"config": services_of(request).config, **context},
                                      status_code=status)


def check_origin(request: Request) -> None:
    """A browser names the page a POST comes from; it must be this console."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "cross-origin request refused")


def needs(capability: str):
    """The dependency a route declares: the live session of a role that may ``capability``."""
    allowed = CAN[capability]

    async def check(request: Request) -> Session:
        sessions = services_of(request).sessions
        session = await run_in_threadpool(sessions.resume, request.cookies.get(COOKIE))
        if session is None:
            raise HTTPException(401, "log in first")
        if session.role not in allowed:
            raise HTTPException(403, f"your role ({session.role.value}) may not do this")
        if request.method == "POST":
            check_origin(request)
            form = await request.form()
            token = request.headers.get("x-csrf-token") or form.get("csrf")
            if not session.csrf_ok(token if isinstance(token, str) else None):
                raise HTTPException(403, "missing or wrong CSRF token: reload the page")
        return session
    return check


def viewer(session: Session) -> Viewer:
    return Viewer(session.username, session.role in CAN["covert"])


def fields(form, *names: str, limit: int = 500) -> dict[str, str]:
    """Text fields of a form, each cut to ``limit`` characters; a missing one is ""."""
    return {n: (v[:limit] if isinstance(v := form.get(n), str) else "") for n in names}
