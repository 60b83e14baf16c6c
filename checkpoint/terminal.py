"""The box's HTTP API: a lane's hand-held terminal posts a document (a photo, or fields read
from the chip or typed in) and is told, in the same request, the verdict and why; a control-room
console with its own token fetches the scene image of a passage it has an alert for.

``TerminalService`` is the logic, with the box's event sink, its lanes and the pseudonym key
passed in; ``terminal_app`` is its HTTP adapter (FastAPI), ``serve`` runs it (uvicorn, HTTPS
when the config names a certificate). Each terminal has its own bearer token, stored on the box
only as its SHA-256. A check links to its lane's open passage and is published as an IdCheck,
which carries a subject tag and never the document's text. Images and read text live only in
the request: nothing here logs or keeps them. Every refusal is a clear 4xx, counted by reason
in the box's heartbeat.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import cv2
import numpy as np
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from PIL import Image, UnidentifiedImageError
from starlette.concurrency import run_in_threadpool

from checkpoint.config import CheckpointConfig, TerminalApiConfig, TerminalConfig
from checkpoint.documents import DocumentReader, verification_of
from checkpoint.idcheck import id_check
from checkpoint.lanes import LaneBoard
from checkpoint.onnx_models import ModelError
from checkpoint.verify import (CHECK_REASONS, Verification, correct_mrz, verify_cn_id,
                               verify_mrz)
from checkpoint.wire.base import StrictModel, utcnow
from checkpoint.wire.edge import DocumentType, TerminalStatus, Verdict
from checkpoint.wire.pseudonym import PseudonymKey
from checkpoint.wire.topics import IDCHECKS

if TYPE_CHECKING:
    from checkpoint.box import EventSink

log = logging.getLogger(__name__)

#: A scene image's reference on the box: its day folder and its passage's event id.
SCENE_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SCENE_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.jpg")
#: The photo formats a terminal may send, by the format Pillow finds in the bytes.
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")   #: how those formats' files begin


class Refusal(Exception):
    """A request the API refuses: its HTTP status, the heartbeat's counter and what to say."""

    def __init__(self, status: int, counter: str, message: str) -> None:
        super().__init__(message)
        self.status, self.counter, self.message = status, counter, message


# ------------------------------------------------------------------------------- requests

class MrzFields(StrictModel):
    """An ICAO 9303 machine-readable zone, read from the chip or typed in."""

    document: Literal["mrz"]
    lines: list[Annotated[str, Field(max_length=64)]] = Field(min_length=2, max_length=3)


class CnIdFields(StrictModel):
    """A PRC resident ID number, and the card's validity period when known."""

    document: Literal["cn-resident-id"]
    number: str = Field(max_length=32)
    valid_from: date | None = None
    valid_until: date | None = None


FieldsRequest = TypeAdapter(Annotated[MrzFields | CnIdFields, Field(discriminator="document")])

PhotoKind = Literal["mrz", "icao-td1", "icao-td2", "icao-td3", "cn-resident-id"]


class CheckResult(BaseModel):
    """What the officer is told (and nothing of it leaves the box but the IdCheck event)."""

    event_id: str
    verdict: Verdict
    reason: str
    document_type: DocumentType | None
    issuing_state: str | None
    checks: list[dict[str, object]]
    failed_checks: list[str]
    warnings: list[str]
    expiry: date | None
    passage_id: str | None
    lane: str


def officer_reason(v: Verification, *, from_photo: bool = False) -> str:
    """One sentence for the officer: why the verdict is what it is. A photo whose check digits
    fail may be misread rather than forged: the officer is told to retake it or type the fields
    in before acting on it."""
    if v.verdict == Verdict.VALID:
        return f"Valid: all {len(v.checks)} checks passed."
    if v.verdict == Verdict.EXPIRED:
        return f"Expired on {v.expiry.isoformat()}." if v.expiry else "Expired."
    if v.verdict == Verdict.UNREADABLE:
        return ("No document could be read: retake the photo flat and lit evenly, or type the "
                "fields in.")
    failed = "; ".join(CHECK_REASONS.get(f, f) for f in v.failed)
    digits = any(f.endswith(("check_digit", "check_character")) for f in v.failed)
    retake = " It may be misread: retake the photo or type the fields in before acting." \
        if from_photo and digits else ""
    return f"Not valid. Failed: {failed}.{retake}"


def token_hash(token: str) -> str:
    """What the box stores of a terminal's token (``TerminalConfig.token_sha256``)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -------------------------------------------------------------------------------- service

class TerminalService:
    """Checks documents for the box's terminals, publishes each as an IdCheck, counts all."""

    def __init__(self, cfg: CheckpointConfig, sink: EventSink, lanes: LaneBoard,
                 key: PseudonymKey, reader_factory: Callable[[], DocumentReader] = DocumentReader,
                 clock: Callable[[], datetime] = utcnow) -> None:
        if cfg.terminal_api is None:
            raise ValueError("the config has no terminal_api")
        self.cfg, self.api = cfg, cfg.terminal_api
        self.sink, self.lanes, self.key, self.clock = sink, lanes, key, clock
        self._reader_factory = reader_factory
        self._reader: DocumentReader | None = None
        self._lock = threading.Lock()
        self._verdicts: Counter[str] = Counter()
        self._refused: Counter[str] = Counter()

    # -- counters
    def refused(self, counter: str) -> None:
        with self._lock:
            self._refused[counter] += 1

    def status(self) -> TerminalStatus:
        with self._lock:
            return TerminalStatus(checks=sum(self._verdicts.values()),
                                  verdicts=dict(self._verdicts), refused=dict(self._refused))

    # -- requests
    def terminal_for(self, authorization: str | None) -> TerminalConfig:
        """The terminal whose bearer token this is; Refusal 401 otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(401, "unauthenticated", "a terminal token is required "
                          "(Authorization: Bearer <token>)")
        digest = token_hash(token.strip())
        for terminal in self.api.terminals:
            if hmac.compare_digest(digest, terminal.token_sha256):
                return terminal
        raise Refusal(401, "unauthenticated", "this terminal token is not known to the box")

    def scene_image(self, authorization: str | None, day: str, name: str) -> Path:
        """The scene image a console asks for by its reference (DAY/EVENT_ID.jpg), for a
        console token only; Refusal 401 without one, 404 for anything else (a ref of another
        form, or an image retention has purged)."""
        scheme, _, token = (authorization or "").partition(" ")
        digest = token_hash(token.strip()) if scheme.lower() == "bearer" else ""
        if not any(hmac.compare_digest(digest, c.token_sha256) for c in self.api.consoles):
            raise Refusal(401, "unauthenticated", "a console token is required for evidence")
        path = self.cfg.evidence_dir / day / name
        if not (SCENE_DAY.fullmatch(day) and SCENE_NAME.fullmatch(name)) or not path.is_file():
            raise Refusal(404, "not_found", "no such scene image on this box (scene images are "
                          f"kept {self.cfg.evidence_retention_hours:g} h)")
        return path

    def check_fields(self, terminal: TerminalConfig, body: bytes) -> CheckResult:
        try:
            request = FieldsRequest.validate_json(body)
        except ValidationError as exc:   # its locations only: the input may hold a number
            where = "; ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"]
                              for e in exc.errors(include_input=False, include_url=False))
            raise Refusal(422, "malformed", f"not a document request: {where}") from None
        today = self.clock().date()
        if isinstance(request, MrzFields):
            v = verify_mrz(correct_mrz(request.lines), today)
            submitted = DocumentType.ICAO_TD1 if len(request.lines) == 3 else DocumentType.ICAO_TD3
        else:
            v = verify_cn_id(request.number, today, valid_from=request.valid_from,
                             valid_until=request.valid_until)
            submitted = DocumentType.CN_RESIDENT_ID
        return self._record(terminal, v, v.document_type or submitted)

    def check_photo(self, terminal: TerminalConfig, body: bytes, kind: PhotoKind | None
                    ) -> CheckResult:
        image = self._decode(body)
        wanted = kind if kind in (None, "mrz") else DocumentType(kind)
        v = verification_of(self._document_reader().read(image, wanted), self.clock().date())
        submitted = wanted if isinstance(wanted, DocumentType) else DocumentType.ICAO_TD3
        return self._record(terminal, v, v.document_type or submitted, from_photo=True)

    def _decode(self, body: bytes) -> np.ndarray:
        looks_like_photo = body.startswith(MAGIC)
        try:
            with Image.open(io.BytesIO(body)) as probe:    # the header only: nothing decoded
                fmt, (w, h) = probe.format, probe.size
        except Image.DecompressionBombError:
            raise Refusal(413, "too_large", "the photo declares more pixels than are read") \
                from None
        except (UnidentifiedImageError, OSError):
            if looks_like_photo:
                raise Refusal(422, "corrupt_image", "the photo is damaged and cannot be "
                              "decoded") from None
            raise Refusal(415, "not_image", "the body is not a JPEG or PNG photo") from None
        if fmt not in IMAGE_FORMATS:
            raise Refusal(415, "not_image", f"{fmt} photos are not taken: send JPEG or PNG")
        if w * h > self.api.max_image_pixels:
            raise Refusal(413, "too_large", f"the photo is {w}x{h} pixels; at most "
                          f"{self.api.max_image_pixels} pixels are read")
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise Refusal(422, "corrupt_image", "the photo is damaged and cannot be decoded")
        return image

    def _document_reader(self) -> DocumentReader:
        """The photo reader, loaded on first use (``warm`` loads it at start-up); a model that
        cannot be loaded refuses photos (503) and leaves typed-in checks working."""
        with self._lock:
            if self._reader is None:
                try:
                    self._reader = self._reader_factory()
                except ModelError as exc:
                    log.error("terminal API: photos cannot be read: %s", exc)
                    raise Refusal(503, "reader_unavailable", "this box cannot read photos "
                                  "now; type the document's fields in") from None
            return self._reader

    def warm(self) -> None:
        """Load the photo reader now, so a missing model is reported when the box starts."""
        try:
            self._document_reader()
        except Refusal:
            pass

    def _record(self, terminal: TerminalConfig, v: Verification, submitted: DocumentType, *,
                from_photo: bool = False) -> CheckResult:
        """Publish the IdCheck (spooled first), count it, and answer the officer."""
        now = self.clock()
        passage = self.lanes.passage_at(terminal.lane, now)
        event = id_check(v, checkpoint_id=self.cfg.checkpoint_id, lane=terminal.lane, time=now,
                         key=self.key, passage_id=passage, submitted=submitted)
        self.sink.publish(IDCHECKS.name, self.cfg.checkpoint_id, event)
        with self._lock:
            self._verdicts[v.verdict.value] += 1
        log.info("id check %s at lane %s by terminal %s: %s", event.event_id, terminal.lane,
                 terminal.id, v.verdict.value)
        return CheckResult(
            event_id=event.event_id, verdict=v.verdict,
            reason=officer_reason(v, from_photo=from_photo),
            document_type=v.document_type, issuing_state=event.issuing_state,
            checks=[{"name": n, "passed": ok, "meaning": CHECK_REASONS.get(n, n)}
                    for n, ok in v.checks.items()],
            failed_checks=v.failed, warnings=list(v.warnings), expiry=v.expiry,
            passage_id=passage, lane=terminal.lane)


# ------------------------------------------------------------------------------------ HTTP

def terminal_app(service: TerminalService) -> FastAPI:
    """The ASGI app: ``POST /v1/checks`` (JSON fields), ``POST /v1/checks/photo`` (a JPEG or
    PNG body), ``GET /v1/evidence/DAY/FILE`` (a scene image, for consoles), ``GET /v1/health``."""
    app = FastAPI(title="kakou terminal API", docs_url=None, redoc_url=None, openapi_url=None)
    limit = service.api.max_body_bytes

    @app.exception_handler(Refusal)
    async def _refused(_: Request, exc: Refusal) -> JSONResponse:
        service.refused(exc.counter)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"error": exc.counter, "detail": exc.message}, exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        service.refused("malformed")
        where = "; ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"]
                          for e in exc.errors())
        return JSONResponse({"error": "malformed", "detail": where}, 422)

    async def body_of(request: Request) -> bytes:
        """The body, refused (413) as soon as it passes the limit, whatever it declares."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise Refusal(413, "too_large", f"the body is over {limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refusal(413, "too_large", f"the body is over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @app.get("/v1/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "checkpoint_id": service.cfg.checkpoint_id}

    @app.post("/v1/checks", response_model=CheckResult)
    async def check_fields(request: Request) -> CheckResult:
        terminal = service.terminal_for(request.headers.get("authorization"))
        return service.check_fields(terminal, await body_of(request))

    @app.post("/v1/checks/photo", response_model=CheckResult)
    async def check_photo(request: Request, document: PhotoKind | None = Query(None)
                          ) -> CheckResult:
        terminal = service.terminal_for(request.headers.get("authorization"))
        body = await body_of(request)
        return await run_in_threadpool(service.check_photo, terminal, body, document)

    @app.get("/v1/evidence/{day}/{name}")
    async def scene(request: Request, day: str, name: str) -> FileResponse:
        path = service.scene_image(request.headers.get("authorization"), day, name)
        return FileResponse(path, media_type="image/jpeg",
                            headers={"Cache-Control": "private, no-store"})

    @app.exception_handler(404)
    async def _unknown(_: Request, __: Exception) -> JSONResponse:
        service.refused("not_found")
        return JSONResponse({"error": "not_found", "detail": "no such route"}, 404)

    return app


class TerminalServer:
    """The API on its own thread (uvicorn), started and stopped with the box."""

    def __init__(self, service: TerminalService, api: TerminalApiConfig) -> None:
        config = uvicorn.Config(
            terminal_app(service), host=api.host, port=api.port, log_level="warning",
            ssl_certfile=str(api.tls_certfile) if api.tls_certfile else None,
            ssl_keyfile=str(api.tls_keyfile) if api.tls_keyfile else None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="terminal-api", daemon=True)
        self.api = api

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"cannot listen on {self.api.host}:{self.api.port} (the "
                                   "port in use, or the TLS files unreadable: see the log)")
            time.sleep(0.05)
        scheme = "https" if self.api.tls_certfile else "http"
        log.info("terminal API on %s://%s:%d", scheme, self.api.host, self.api.port)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
