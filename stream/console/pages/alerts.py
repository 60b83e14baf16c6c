"""The live alert queue, an alert's evidence page, and the workflow steps on it."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import StreamingResponse

from stream.audit import AuditError
from stream.console import live
from stream.console.desk import DeskError
from stream.console.evidence import EvidenceError, fetch_scene
from stream.console.sessions import Session
from stream.console.web import fields, needs, page, services_of, viewer
from stream.console.workflow import CHECKS, Step, is_exact, verified
from stream.console.workflow import Request as StepRequest
from stream.wire import AlertState

router = APIRouter()


@router.get("/alerts", response_class=HTMLResponse)
async def queue_page(request: Request, session: Session = Depends(needs("alerts"))):
    return page(request, "alerts.html", session=session)


@router.get("/api/alerts")
async def queue(request: Request, session: Session = Depends(needs("alerts"))) -> list[dict]:
    alerts = await run_in_threadpool(services_of(request).desk.open_alerts, viewer(session))
    return [a.model_dump(mode="json") for a in alerts]


@router.get("/alerts/events")
async def events(request: Request, session: Session = Depends(needs("alerts"))):
    services, who = services_of(request), viewer(session)

    async def snapshot():
        return await run_in_threadpool(services.desk.open_alerts, who)

    async def alive() -> bool:
        return not await request.is_disconnected() and await run_in_threadpool(
            services.sessions.alive, session)

    async def stream():
        client = live.connect(services.redis_url)
        try:
            async for chunk in live.follow(
                    client, request.headers.get("last-event-id"), snapshot=snapshot,
                    visible=lambda a: services.desk.visible(a, who), alive=alive):
                yield chunk
        finally:
            await client.aclose()
    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
async def alert_page(request: Request, alert_id: str,
                     session: Session = Depends(needs("alerts"))):
    return await _alert_page(request, alert_id, session)


@router.get("/alerts/{alert_id}/scene")
async def scene(request: Request, alert_id: str, session: Session = Depends(needs("alerts"))):
    """The alert's scene image, from the box that keeps it."""
    services = services_of(request)
    try:
        alert = await run_in_threadpool(services.desk.alert, alert_id[:64], viewer(session))
    except DeskError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    box = services.config.boxes.get(alert.checkpoint_id)
    if box is None or not alert.evidence.scene_ref:
        raise HTTPException(404, "no scene image can be fetched for this alert")
    try:
        body = await run_in_threadpool(fetch_scene, box, alert.evidence.scene_ref)
    except EvidenceError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return Response(body, media_type="image/jpeg")


@router.post("/alerts/{alert_id}/actions")
async def act(request: Request, alert_id: str, session: Session = Depends(needs("alerts"))):
    form = await request.form()
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        step_request, expected = _step_from(form)
        await run_in_threadpool(services_of(request).desk.act, alert_id[:64], step_request,
                                expected, viewer(session))
    except DeskError as exc:
        if wants_json:
            return JSONResponse({"detail": str(exc)}, exc.status)
        return await _alert_page(request, alert_id, session, error=str(exc), status=exc.status)
    except AuditError as exc:
        return JSONResponse({"detail": f"not done: {exc}"}, 503)
    if wants_json:
        return JSONResponse({"detail": "done"})
    return RedirectResponse(f"/alerts/{alert_id}", 303)


async def _alert_page(request: Request, alert_id: str, session: Session, *,
                      error: str | None = None, status: int = 200) -> HTMLResponse:
    try:
        alert = await run_in_threadpool(services_of(request).desk.alert, alert_id[:64],
                                        viewer(session))
    except DeskError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    marks = [(ch, i in alert.match.differing_positions) for i, ch in enumerate(alert.match.read)]
    return page(request, "alert.html", status, session=session, alert=alert,
                exact=is_exact(alert), verified=verified(alert), error=error, plate_marks=marks)


def _step_from(form) -> tuple[StepRequest, AlertState]:
    text = fields(form, "step", "expected", "note", "reason", "unit", "outcome",
                  *(f"check_{name}" for name in CHECKS), limit=2000)
    try:
        step, expected = Step(text["step"]), AlertState(text["expected"])
    except ValueError:
        raise DeskError(422, "a step needs 'step' and the 'expected' state the operator saw") \
            from None
    checks = {name: text[f"check_{name}"] in ("on", "true", "1") for name in CHECKS}
    return StepRequest(step=step, note=text["note"], checks=checks,
                       reason=text["reason"] or None, unit=text["unit"] or None,
                       outcome=text["outcome"] or None), expected
