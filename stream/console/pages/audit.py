"""The audit log, for auditors: every record, a hundred a page, and the chain's check."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from stream.console.sessions import Session
from stream.console.web import needs, page, services_of

router = APIRouter()
PAGE = 100


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request, start: int = 0,
                     session: Session = Depends(needs("audit"))):
    audit = services_of(request).audit
    head_seq = (await run_in_threadpool(audit.head))[0]
    first = start if start > 0 else max(head_seq - PAGE + 1, 1)
    records = await run_in_threadpool(audit.records, first, PAGE)
    return page(request, "audit.html", session=session, records=records, head_seq=head_seq,
                first=first)


@router.get("/audit/verify")
async def audit_verify(request: Request, session: Session = Depends(needs("audit"))) -> dict:
    problems = await run_in_threadpool(services_of(request).audit.verify)
    return {"intact": not problems, "problems": problems}
