"""Accounts, for supervisors: who has access, forced logout, disabling an account. Accounts are
created with ``kakou-console user add`` on a console host."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from stream.console.accounts import AccountError
from stream.console.sessions import Session, end_sessions
from stream.console.web import needs, page, services_of

router = APIRouter()


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request, session: Session = Depends(needs("users"))):
    accounts = await run_in_threadpool(services_of(request).accounts.all)
    return page(request, "users.html", session=session, accounts=accounts)


@router.post("/users/{username}/logout")
async def force_logout(request: Request, username: str,
                       session: Session = Depends(needs("users"))):
    await _end(request, session, username, disable=False)
    return RedirectResponse("/users", 303)


@router.post("/users/{username}/disable")
async def disable(request: Request, username: str, session: Session = Depends(needs("users"))):
    if username == session.username:
        raise HTTPException(422, "you cannot disable your own account")
    await _end(request, session, username, disable=True)
    return RedirectResponse("/users", 303)


async def _end(request: Request, session: Session, username: str, disable: bool) -> None:
    try:
        services = services_of(request)
        await run_in_threadpool(lambda: end_sessions(
            services.accounts, services.sessions, services.audit, session.username,
            username[:64], disable=disable, reason="supervisor"))
    except AccountError as exc:
        raise HTTPException(404, str(exc)) from None

