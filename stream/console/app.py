"""The console's HTTP adapter (FastAPI): login, the live alert queue, an alert's evidence and its
workflow, accounts and the audit log, each route behind the capability it needs.

Every route except ``/login``, ``/health`` and ``/static`` needs a live session; pages send a
browser without one to the login page, everything else answers 401, and a session whose role
lacks the capability gets 403. Every POST carries the session's CSRF token (a form field or the
``X-CSRF-Token`` header) and, when the browser names one, an ``Origin`` of this host. Bodies
over 64 KiB are refused (413) before they are read whole.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio as aioredis
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import StreamingResponse

from stream.audit import AuditError, AuditLog
from stream.console import live
from stream.console.accounts import CAN, Accounts, AccountError, Role
from stream.console.config import ConsoleConfig
from stream.console.desk import AlertPublisher, Desk, DeskError, Viewer
from stream.console.sessions import COOKIE, Session, Sessions
from stream.console.workflow import (CHECKS, OUTCOMES, REJECT_REASONS, Request as StepRequest,
                                     Step, is_exact, verified)
from stream.wire import AlertState

HERE = Path(__file__).parent
MAX_BODY = 64 * 1024
PUBLIC = ("/login", "/health", "/static")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class Services:
    """What the routes use; built by ``create_app``'s caller (real clients, or test ones)."""

    config: ConsoleConfig
    redis: redis.Redis
    redis_url: str  #: each live stream opens its own connection (it blocks reading)
    publisher: AlertPublisher
    clock: Callable[[], float] | None = None

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.redis)
        self.sessions = Sessions(self.redis, self.config, **({"clock": self.clock}
                                                             if self.clock else {}))
        self.audit = AuditLog(self.redis)
        self.desk = Desk(self.redis, self.audit, self.publisher,
                         covert_lists=self.config.covert_lists,
                         lock_wait_s=self.config.lock_wait_s)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413, declared or streamed."""

    def __init__(self, app, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            return await JSONResponse({"detail": f"the body is over {self.limit} bytes"},
                                      413)(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, f"the body is over {self.limit} bytes")
            return message
        return await self.app(scope, limited, send)


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="kakou console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(CHECKS=CHECKS, REJECT_REASONS=REJECT_REASONS,
                                 OUTCOMES=OUTCOMES, config=services.config)
    templates.env.filters["age"] = _age
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        if exc.status_code == 401 and wants_page:
            return RedirectResponse("/login", 303)
        return JSONResponse({"detail": exc.detail}, exc.status_code)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    # --- sessions --------------------------------------------------------------------------

    def session_of(request: Request) -> Session:
        session = services.sessions.resume(request.cookies.get(COOKIE))
        if session is None:
            raise HTTPException(401, "log in first")
        if request.method == "POST":
            _check_origin(request)
        return session

    def needs(capability: str):
        async def check(request: Request) -> Session:
            session = await run_in_threadpool(session_of, request)
            if session.role not in CAN[capability]:
                raise HTTPException(403, f"your role ({session.role.value}) may not do this")
            if request.method == "POST":
                form = await request.form()
                token = request.headers.get("x-csrf-token") or form.get("csrf")
                if not session.csrf_ok(token if isinstance(token, str) else None):
                    raise HTTPException(403, "missing or wrong CSRF token: reload the page")
            return session
        return check

    def viewer(session: Session) -> Viewer:
        return Viewer(session.username, session.role in CAN["covert"])

    # --- public ----------------------------------------------------------------------------

    @app.get("/health")
    def health() -> JSONResponse:
        try:
            services.redis.ping()
        except redis.RedisError as exc:
            return JSONResponse({"status": "degraded", "detail": f"Redis: {exc}"}, 503)
        return JSONResponse({"status": "ok"})

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> HTMLResponse:
        return page(request, "login.html")

    @app.post("/login")
    async def login(request: Request) -> Response:
        _check_origin(request)
        form = await request.form()
        username = str(form.get("username", "")).strip().lower()[:64]
        password = str(form.get("password", ""))[:1024]
        address = request.client.host if request.client else "unknown"
        result = await run_in_threadpool(_login, services, username, password, address)
        if isinstance(result, tuple):
            status, message = result
            return page(request, "login.html", status, error=message, username=username)
        response = RedirectResponse("/", 303)
        response.set_cookie(COOKIE, result, httponly=True, secure=True, samesite="strict",
                            path="/")
        return response

    # --- any role --------------------------------------------------------------------------

    @app.get("/")
    async def home(session: Session = Depends(needs("session"))) -> RedirectResponse:
        return RedirectResponse("/audit" if session.role == Role.AUDITOR else "/alerts", 303)

    @app.post("/logout")
    async def logout(session: Session = Depends(needs("session"))) -> Response:
        await run_in_threadpool(_logout, services, session)
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # --- alerts ----------------------------------------------------------------------------

    @app.get("/alerts", response_class=HTMLResponse)
    async def queue_page(request: Request, session: Session = Depends(needs("alerts"))):
        return page(request, "alerts.html", session=session)

    @app.get("/api/alerts")
    async def queue(session: Session = Depends(needs("alerts"))) -> list[dict]:
        alerts = await run_in_threadpool(services.desk.open_alerts, viewer(session))
        return [a.model_dump(mode="json") for a in alerts]

    @app.get("/alerts/events")
    async def events(request: Request, session: Session = Depends(needs("alerts"))):
        who = viewer(session)

        async def snapshot():
            return await run_in_threadpool(services.desk.open_alerts, who)

        async def alive() -> bool:
            return not await request.is_disconnected() and await run_in_threadpool(
                services.sessions.alive, session)

        async def stream():
            client = aioredis.from_url(services.redis_url, decode_responses=True)
            try:
                async for chunk in live.follow(
                        client, request.headers.get("last-event-id"), snapshot=snapshot,
                        visible=lambda a: services.desk.visible(a, who), alive=alive):
                    yield chunk
            finally:
                await client.aclose()
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    @app.get("/alerts/{alert_id}", response_class=HTMLResponse)
    async def alert_page(request: Request, alert_id: str,
                         session: Session = Depends(needs("alerts"))):
        return await _alert_page(request, alert_id, session)

    async def _alert_page(request: Request, alert_id: str, session: Session, *,
                          error: str | None = None, status: int = 200) -> HTMLResponse:
        try:
            alert = await run_in_threadpool(services.desk.alert, alert_id[:64], viewer(session))
        except DeskError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return page(request, "alert.html", status, session=session, alert=alert,
                    exact=is_exact(alert), verified=verified(alert), error=error,
                    plate_marks=_marks(alert.match.read, alert.match.differing_positions))

    @app.post("/alerts/{alert_id}/actions")
    async def act(request: Request, alert_id: str, session: Session = Depends(needs("alerts"))):
        form = await request.form()
        wants_json = "application/json" in request.headers.get("accept", "")
        try:
            step_request, expected = _step_from(form)
            await run_in_threadpool(services.desk.act, alert_id[:64], step_request, expected,
                                    viewer(session))
        except DeskError as exc:
            if wants_json:
                return JSONResponse({"detail": str(exc)}, exc.status)
            return await _alert_page(request, alert_id, session, error=str(exc),
                                     status=exc.status)
        except AuditError as exc:
            return JSONResponse({"detail": f"not done: {exc}"}, 503)
        if wants_json:
            return JSONResponse({"detail": "done"})
        return RedirectResponse(f"/alerts/{alert_id}", 303)

    # --- accounts (supervisors) ------------------------------------------------------------

    @app.get("/users", response_class=HTMLResponse)
    async def users_page(request: Request, session: Session = Depends(needs("users"))):
        accounts = await run_in_threadpool(services.accounts.all)
        return page(request, "users.html", session=session, accounts=accounts)

    @app.post("/users/{username}/logout")
    async def force_logout(username: str, session: Session = Depends(needs("users"))):
        await run_in_threadpool(_force_logout, services, session, username[:64], False)
        return RedirectResponse("/users", 303)

    @app.post("/users/{username}/disable")
    async def disable(username: str, session: Session = Depends(needs("users"))):
        if username == session.username:
            raise HTTPException(422, "you cannot disable your own account")
        try:
            await run_in_threadpool(_force_logout, services, session, username[:64], True)
        except AccountError as exc:
            raise HTTPException(404, str(exc)) from None
        return RedirectResponse("/users", 303)

    # --- audit (auditors) ------------------------------------------------------------------

    @app.get("/audit", response_class=HTMLResponse)
    async def audit_page(request: Request, start: int = 0,
                         session: Session = Depends(needs("audit"))):
        head_seq = (await run_in_threadpool(services.audit.head))[0]
        first = start if start > 0 else max(head_seq - 99, 1)
        records = await run_in_threadpool(services.audit.records, first, 100)
        return page(request, "audit.html", session=session, records=records,
                    head_seq=head_seq, first=first)

    @app.get("/audit/verify")
    async def audit_verify(session: Session = Depends(needs("audit"))) -> dict:
        problems = await run_in_threadpool(services.audit.verify)
        return {"intact": not problems, "problems": problems}

    return app


# --- the steps behind the routes (sync: Argon2 and the audit log block) ----------------------

def _login(services: Services, username: str, password: str, address: str) -> str | tuple:
    """The new session's token, or (HTTP status, message) for the login page."""
    wait = services.sessions.login_refused_for(username, address)
    if wait:
        services.audit.append(username or "-", "login.refused", username or "-",
                              reason="too many failed logins", details={"address": address})
        return 429, f"Too many failed logins. Try again in {wait // 60 + 1} minutes."
    account = services.accounts.authenticate(username, password)
    if account is None:
        services.sessions.record_failure(username, address)
        services.audit.append(username or "-", "login.failed", username or "-",
                              reason="wrong username or password", details={"address": address})
        return 401, "Wrong username or password."
    services.audit.append(username, "login", username, reason="password",
                          details={"address": address, "role": account.role.value})
    services.sessions.clear_failures(username)
    token, _ = services.sessions.open(account, address)
    return token


def _logout(services: Services, session: Session) -> None:
    services.audit.append(session.username, "logout", session.username, reason="user")
    services.sessions.close(session)


def _force_logout(services: Services, session: Session, username: str, disable: bool) -> None:
    if services.accounts.get(username) is None:
        raise AccountError(f"no account {username!r}")
    action = "user.disable" if disable else "user.logout"
    services.audit.append(session.username, action, username, reason="supervisor")
    if disable:
        services.accounts.set_disabled(username, True)
    services.sessions.close_all(username)


def _step_from(form) -> tuple[StepRequest, AlertState]:
    def text(name: str) -> str:
        value = form.get(name)
        return value[:2000] if isinstance(value, str) else ""
    try:
        step, expected = Step(text("step")), AlertState(text("expected"))
    except ValueError:
        raise DeskError(422, "a step needs 'step' and the 'expected' state the operator saw") \
            from None
    checks = {name: text(f"check_{name}") in ("on", "true", "1") for name in CHECKS}
    return StepRequest(step=step, note=text("note"), checks=checks,
                       reason=text("reason") or None, unit=text("unit") or None,
                       outcome=text("outcome") or None), expected


def _check_origin(request: Request) -> None:
    """A browser names the page a POST comes from; it must be this console."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "cross-origin request refused")


def _marks(read: str, differing: list[int]) -> list[tuple[str, bool]]:
    """The read's characters, each with whether it differs from the entry."""
    return [(ch, i in differing) for i, ch in enumerate(read)]


def _age(when: datetime | None) -> str:
    if when is None:
        return "never"
    days = (datetime.now(timezone.utc) - when).days
    return "today" if days <= 0 else f"{days} days ago"
