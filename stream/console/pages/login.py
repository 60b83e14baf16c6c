"""Logging in and out. Login is public; it is throttled per account and per address, and every
attempt, refused or not, is audited."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from stream.console.services import Services
from stream.console.sessions import COOKIE, Session
from stream.console.web import check_origin, needs, page, services_of

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return page(request, "login.html")


@router.post("/login")
async def login(request: Request) -> Response:
    check_origin(request)
    form = await request.form()
    username = str(form.get("username", "")).strip().lower()[:64]
    password = str(form.get("password", ""))[:1024]
    address = request.client.host if request.client else "unknown"
    result = await run_in_threadpool(_login, services_of(request), username, password, address)
    if isinstance(result, tuple):
        status, message = result
        return page(request, "login.html", status, error=message, username=username)
    response = RedirectResponse("/", 303)
    response.set_cookie(COOKIE, result, httponly=True, secure=True, samesite="strict", path="/")
    return response


@router.post("/logout")
async def logout(request: Request, session: Session = Depends(needs("session"))) -> Response:
    services = services_of(request)
    await run_in_threadpool(services.audit.append, session.username, "logout",
                            session.username, reason="user")
    await run_in_threadpool(services.sessions.close, session)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


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
