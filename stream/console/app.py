"""The console's ASGI app: the pages (``stream.console.pages``), static files, a health check,
and what every response gets: security headers, a body limit, 401s that send a browser to the
login page.

Every route except ``/login``, ``/health`` and ``/static`` declares the capability it needs
(``stream.console.web.needs``); bodies over 64 KiB are refused (413) before they are read whole,
except a watchlist upload, which may be up to 32 MiB.
"""
from __future__ import annotations

import redis
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from stream.console.accounts import Role
from stream.console.pages import alerts, audit, login, search, stats, users, watchlists
from stream.console.services import Services
from stream.console.sessions import Session
from stream.console.web import HERE, needs

MAX_BODY = 64 * 1024
#: Routes that take more than MAX_BODY, and how much.
BODY_LIMITS = {"/watchlists/import": watchlists.MAX_UPLOAD + 64 * 1024}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class BodyLimit:
    """ASGI middleware: a request body over its route's limit gets 413, declared or streamed."""

    def __init__(self, app, limit: int = MAX_BODY,
                 limits: dict[str, int] | None = None) -> None:
        self.app, self.limit, self.limits = app, limit, limits or BODY_LIMITS

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limits.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            return await JSONResponse({"detail": f"the body is over {limit} bytes"},
                                      413)(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, f"the body is over {limit} bytes")
            return message
        return await self.app(scope, limited, send)


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="kakou console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit)
    for pages in (login, alerts, search, stats, users, audit, watchlists):
        app.include_router(pages.router)

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

    @app.get("/health")
    def health() -> JSONResponse:
        try:
            services.redis.ping()
        except redis.RedisError as exc:
            return JSONResponse({"status": "degraded", "detail": f"Redis: {exc}"}, 503)
        return JSONResponse({"status": "ok"})

    @app.get("/")
    async def home(session: Session = Depends(needs("session"))) -> RedirectResponse:
        return RedirectResponse("/audit" if session.role == Role.AUDITOR else "/alerts", 303)

    return app
