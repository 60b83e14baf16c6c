"""Watchlist and person-list management, for supervisors, through the one watchlist API
(``stream.watchlist_api``): browse, edit, expire, delete with a reason, export, and CSV import
with its per-line report shown before anything is applied.

An upload is checked first and its entries held (in Redis, for its uploader, 15 minutes); it can
be applied only when every line is good, so a list is never half-imported. Person lists arrive
as document numbers and are stored only as tags (the import's own rule): the held entries carry
the tags, never the numbers.
"""
from __future__ import annotations

import json
import secrets
from collections import Counter
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from stream.console.sessions import Session
from stream.console.web import fields, needs, page, services_of
from stream.watchlist import COLUMNS, ImportResult
from stream.watchlist_api import UnknownEntryError, WatchlistError
from stream.wire import WatchlistEntry

router = APIRouter()
PENDING = "kakou:console:pending-import:{token}"   # JSON: uploader, reason, case, tagged CSV
PENDING_TTL_S = 900
MAX_UPLOAD = 32 * 1024 * 1024     #: a million-entry list fits
SHOWN = 500
EDITABLE = tuple(c for c in COLUMNS if c not in ("entry_id", "subject_tag", "key_id"))


@router.get("/watchlists", response_class=HTMLResponse)
async def lists_page(request: Request, q: str = "", list_name: str = "",
                     session: Session = Depends(needs("watchlists"))):
    entries = await run_in_threadpool(services_of(request).watchlists.entries)
    counts = Counter(e.list for e in entries)
    needle = q.strip().upper()
    shown = [e for e in entries if (not list_name or e.list == list_name) and (
        not needle or needle in (e.plate or e.pattern or "").upper()
        or needle in e.entry_id.upper())]
    return page(request, "watchlists.html", session=session, entries=shown[:SHOWN],
                matching=len(shown), counts=dict(sorted(counts.items())), q=q,
                list_name=list_name, now=datetime.now(timezone.utc))


@router.get("/watchlists/entries/{entry_id}", response_class=HTMLResponse)
async def entry_page(request: Request, entry_id: str,
                     session: Session = Depends(needs("watchlists"))):
    return await _entry_page(request, entry_id, session)


@router.post("/watchlists/entries/{entry_id}")
async def change_entry(request: Request, entry_id: str,
                       session: Session = Depends(needs("watchlists"))):
    form = fields(await request.form(), "action", "reason", "case_number", *EDITABLE)
    service = services_of(request).watchlists
    why = {"actor": session.username, "reason": form["reason"].strip(),
           "case_number": form["case_number"].strip() or None}
    try:
        if form["action"] == "delete":
            await run_in_threadpool(lambda: service.delete(entry_id, **why))
            return RedirectResponse("/watchlists", 303)
        if form["action"] == "expire":
            changes = {"valid_until": datetime.now(timezone.utc).isoformat()}
        elif form["action"] == "update":
            changes = {k: form[k] for k in EDITABLE}
        else:
            raise WatchlistError("action: one of update, expire, delete")
        await run_in_threadpool(lambda: service.update(entry_id, changes, **why))
    except UnknownEntryError as exc:
        raise HTTPException(404, str(exc)) from None
    except WatchlistError as exc:
        return await _entry_page(request, entry_id, session, error=str(exc), status=422)
    return RedirectResponse(f"/watchlists/entries/{entry_id}", 303)


@router.post("/watchlists/import", response_class=HTMLResponse)
async def check_import(request: Request, session: Session = Depends(needs("watchlists"))):
    """Check an uploaded CSV line by line; hold it for applying only if every line is good."""
    form = await request.form()
    why = fields(form, "reason", "case_number")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return page(request, "import.html", 422, session=session,
                    error="file: choose a CSV file to upload")
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise HTTPException(413, f"the file is over {MAX_UPLOAD // 2**20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return page(request, "import.html", 422, session=session,
                    error=f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8 CSV")
    services = services_of(request)
    try:
        result = await run_in_threadpool(lambda: services.watchlists.import_csv(
            text, actor=session.username, reason=why["reason"].strip(),
            dry_run=True))
    except WatchlistError as exc:
        return page(request, "import.html", 422, session=session, error=str(exc))
    token = None
    if result.entries and not result.rejected:
        token = secrets.token_urlsafe(16)
        held = {"uploader": session.username, "reason": why["reason"],
                "case_number": why["case_number"], "filename": upload.filename or "upload.csv",
                "entries": [e.model_dump_json() for e in result.entries]}
        services.redis.set(PENDING.format(token=token), json.dumps(held), ex=PENDING_TTL_S)
    return page(request, "import.html", session=session, result=result, token=token,
                filename=upload.filename, why=why)


@router.post("/watchlists/import/{token}")
async def apply_import(request: Request, token: str,
                       session: Session = Depends(needs("watchlists"))):
    services = services_of(request)
    raw = services.redis.getdel(PENDING.format(token=token[:64]))
    held = json.loads(raw) if raw else None
    if held is None or held["uploader"] != session.username:
        raise HTTPException(404, "no such upload waiting (they are held 15 minutes, for the "
                                 "one who uploaded them): upload it again")
    checked = ImportResult(entries=[WatchlistEntry.model_validate_json(e)
                                    for e in held["entries"]])
    try:
        result = await run_in_threadpool(lambda: services.watchlists.import_checked(
            checked, actor=session.username, reason=held["reason"],
            case_number=held["case_number"] or None, source=held["filename"]))
    except WatchlistError as exc:
        return page(request, "import.html", 422, session=session, error=str(exc))
    return page(request, "import.html", session=session, applied=len(result.entries),
                filename=held["filename"])


@router.post("/watchlists/export")
async def export(request: Request, session: Session = Depends(needs("watchlists"))):
    why = fields(await request.form(), "reason", "case_number")
    if len(why["reason"].strip()) < 5:
        raise HTTPException(422, "reason: say why the list leaves the system")
    services = services_of(request)
    exported = await run_in_threadpool(services.watchlists.export_csv)
    await run_in_threadpool(lambda: services.audit.append(
        session.username, "watchlist.export", "kakou.watchlist", reason=why["reason"].strip(),
        case_number=why["case_number"].strip() or None,
        details={"entries": exported.count, "unreadable": exported.unreadable}))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Response(exported.text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="kakou-watchlist-{stamp}.csv"'})


async def _entry_page(request: Request, entry_id: str, session: Session, *,
                      error: str | None = None, status: int = 200) -> HTMLResponse:
    try:
        entry = await run_in_threadpool(services_of(request).watchlists.get, entry_id[:128])
    except UnknownEntryError as exc:
        raise HTTPException(404, str(exc)) from None
    values = {k: "" if (v := getattr(entry, k)) is None else
              (v.isoformat() if hasattr(v, "isoformat") else str(v)) for k in EDITABLE}
    return page(request, "entry.html", status, session=session, entry=entry, values=values,
                editable=EDITABLE, error=error)
