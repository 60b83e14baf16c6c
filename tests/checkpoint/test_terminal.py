"""The terminal API (checkpoint/terminal.py) served by uvicorn on a real port: verdicts and why,
the IdCheck it publishes (tag, lane, open passage; never the number), and every kind of bad
request refused with a clear 4xx and counted. The event sink is an in-memory list here; the
run against the real box and Kafka is tests/integration/test_terminal.py."""
from __future__ import annotations

import json
import socket
import struct
import urllib.error
import urllib.request
import zlib
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkpoint.config import (CameraConfig, CheckpointConfig, ConsoleReader, TerminalApiConfig,
                               TerminalConfig)
from checkpoint.lab.documents import draw_document, make_document, photograph
from checkpoint.lanes import LaneBoard
from checkpoint.terminal import TerminalServer, TerminalService, officer_reason, token_hash
from checkpoint.wire.edge import IdCheck, VehiclePassage
from checkpoint.wire.pseudonym import PseudonymKey, subject_tag
from checkpoint.wire.topics import IDCHECKS

KEY = PseudonymKey("k-unit", b"terminal-unit-test-secret")
TOKENS = {"t1": "token-of-terminal-one-0123456789", "t2": "token-of-terminal-two-0123456789"}
CONSOLE = "token-of-the-control-room-console-0123"
BEFORE_EXPIRY = datetime(2010, 1, 1, 9, 0, tzinfo=timezone.utc)
TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
PRIVATE = ("L898902C3", "ERIKSSON", "ANNA", "740812", "11010519491231002X", "19491231")


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, object]] = []

    def publish(self, topic, key, event) -> None:
        self.events.append((topic, key, event))

    def spool_state(self):
        return False, 0, 0

    def depth(self) -> int:
        return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    terminals = [TerminalConfig(id=t, lane=lane, token_sha256=token_hash(tok))
                 for (t, tok), lane in zip(TOKENS.items(), ("1", "2"))]
    cfg = CheckpointConfig(
        checkpoint_id="jinan-unit", cameras=[CameraConfig(id="c1", source="x.mp4", lane="1"),
                                             CameraConfig(id="c2", source="y.mp4", lane="2")],
        evidence_dir=tmp_path_factory.mktemp("evidence"),
        terminal_api=TerminalApiConfig(host="127.0.0.1", port=free_port(), terminals=terminals,
                                       consoles=[ConsoleReader(id="control-room",
                                                               token_sha256=token_hash(CONSOLE))],
                                       max_body_bytes=2_000_000, max_image_pixels=4_000_000))
    clock = {"now": BEFORE_EXPIRY}
    sink, lanes = Sink(), LaneBoard(timedelta(seconds=cfg.terminal_api.passage_window_s))
    service = TerminalService(cfg, sink, lanes, KEY, clock=lambda: clock["now"])
    server = TerminalServer(service, cfg.terminal_api)
    server.start()
    yield {"url": f"http://127.0.0.1:{cfg.terminal_api.port}", "sink": sink, "lanes": lanes,
           "service": service, "clock": clock, "evidence": cfg.evidence_dir}
    server.stop()


def post(api, path: str, body: bytes, *, token: str | None = TOKENS["t1"],
         content_type: str = "application/json", headers: dict | None = None):
    request = urllib.request.Request(api["url"] + path, data=body, method="POST")
    request.add_header("Content-Type", content_type)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def fields(api, payload: dict, **kw):
    return post(api, "/v1/checks", json.dumps(payload).encode(), **kw)


def refused(api, counter: str) -> int:
    return api["service"].status().refused.get(counter, 0)


def test_a_valid_document_is_valid_and_published_as_a_tag_only(api):
    before = len(api["sink"].events)
    status, answer = fields(api, {"document": "mrz", "lines": TD3})
    assert status == 200 and answer["verdict"] == "valid" and answer["failed_checks"] == [], answer
    assert answer["document_type"] == "icao-td3" and answer["issuing_state"] == "UTO"
    assert answer["reason"].startswith("Valid") and answer["lane"] == "1"
    assert all(c["passed"] and c["meaning"] for c in answer["checks"])
    (topic, key, event), = api["sink"].events[before:]
    assert (topic, key) == (IDCHECKS.name, "jinan-unit") and isinstance(event, IdCheck)
    assert event.event_id == answer["event_id"] and event.lane == "1"
    assert event.subject_tag == subject_tag("icao-td3", "L898902C3", KEY)
    assert event.key_id == KEY.key_id
    wire = event.model_dump_json()
    assert not [p for p in PRIVATE if p in wire]


def test_an_expired_and_a_forged_document(api):
    api["clock"]["now"] = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    try:
        status, expired = fields(api, {"document": "mrz", "lines": TD3})
        forged_line = TD3[1][:3] + "7" + TD3[1][4:]      # one digit of the number altered
        _, forged = fields(api, {"document": "mrz", "lines": [TD3[0], forged_line]})
        _, cn = fields(api, {"document": "cn-resident-id", "number": "11010519491231003X"})
    finally:
        api["clock"]["now"] = BEFORE_EXPIRY
    assert status == 200 and expired["verdict"] == "expired" and "2012-04-15" in expired["reason"]
    assert expired["failed_checks"] == ["not_expired"]
    assert forged["verdict"] == "invalid"
    assert forged["failed_checks"] == ["document_number_check_digit", "composite_check_digit",
                                      "not_expired"]
    assert "check digit" in forged["reason"]
    assert cn["verdict"] == "invalid" and cn["failed_checks"] == ["check_character"]


def test_a_check_links_to_its_lanes_open_passage_only(api):
    now = api["clock"]["now"]
    passage = VehiclePassage(checkpoint_id="jinan-unit", lane="2", camera_id="c2",
                             plate="鲁A3K782", plate_confidence=0.95,
                             first_seen=now - timedelta(seconds=20),
                             last_seen=now - timedelta(seconds=10), dwell_seconds=10)
    api["lanes"].observe(passage)
    _, lane2 = fields(api, {"document": "cn-resident-id", "number": "11010519491231002X"},
                      token=TOKENS["t2"])
    _, lane1 = fields(api, {"document": "cn-resident-id", "number": "11010519491231002X"})
    assert lane2["passage_id"] == passage.event_id and lane2["lane"] == "2"
    assert lane1["passage_id"] is None
    assert api["sink"].events[-2][2].passage_id == passage.event_id
    api["clock"]["now"] = now + timedelta(seconds=api["service"].api.passage_window_s + 1)
    try:
        _, late = fields(api, {"document": "cn-resident-id", "number": "11010519491231002X"},
                         token=TOKENS["t2"])
    finally:
        api["clock"]["now"] = now
    assert late["passage_id"] is None


@pytest.mark.parametrize("token", [None, "", "not-a-known-token", TOKENS["t1"] + "x"])
def test_no_or_a_wrong_token_is_refused(api, token):
    before, events = refused(api, "unauthenticated"), len(api["sink"].events)
    status, answer = fields(api, {"document": "mrz", "lines": TD3}, token=token)
    assert status == 401 and answer["error"] == "unauthenticated" and answer["detail"]
    assert refused(api, "unauthenticated") == before + 1
    assert len(api["sink"].events) == events


@pytest.mark.parametrize("payload", [b"{", b"[]", b'{"document": "visa"}',
                                     b'{"document": "mrz", "lines": "P<UTO"}',
                                     b'{"document": "cn-resident-id", "number": "1101051949123'
                                     b'1002X", "extra": 1}', "\udcff".encode("utf-8", "surrogatepass")])
def test_malformed_requests_get_422_without_echoing_the_input(api, payload):
    before = refused(api, "malformed")
    status, answer = post(api, "/v1/checks", payload)
    assert status == 422 and answer["error"] == "malformed"
    assert "11010519491231002X" not in json.dumps(answer)
    assert refused(api, "malformed") == before + 1


def test_a_body_declared_too_large_is_refused_before_it_is_read(api):
    import http.client

    before = refused(api, "too_large")
    host, port = api["url"].removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/v1/checks/photo")
    for name, value in (("Authorization", f"Bearer {TOKENS['t1']}"),
                        ("Content-Type", "image/jpeg"), ("Content-Length", "2000001")):
        conn.putheader(name, value)
    conn.endheaders(b"\xff\xd8\xff")          # the body never comes: the header is enough
    response = conn.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"] == "too_large"
    conn.close()
    assert refused(api, "too_large") == before + 1


def test_a_streamed_body_over_the_limit_is_refused_as_it_arrives(api):
    """Chunked, with no length declared: refused once the limit is passed. The box may close
    the connection before the client has sent it all; either way it is refused and counted."""
    before = refused(api, "too_large")
    chunks = iter([b"\xff" * 500_000] * 5)
    try:
        status, answer = post(api, "/v1/checks/photo", chunks, content_type="image/jpeg",
                              headers={"Transfer-Encoding": "chunked"})
        assert status == 413 and answer["error"] == "too_large"
    except urllib.error.URLError:
        pass
    assert refused(api, "too_large") == before + 1


def _png(width: int, height: int, rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("body", "status", "counter"), [
    (b"GIF89a not a photo at all", 415, "not_image"),
    (b"%PDF-1.7 a document, not a photo", 415, "not_image"),
    (b"", 415, "not_image"),
    (_png(40000, 40000, zlib.compress(b"\0" * 1000)), 413, "too_large"),   # a decompression bomb
    (_png(64, 64, b"not zlib data"), 422, "corrupt_image"),
])
def test_bad_photos_are_refused_and_counted(api, body, status, counter):
    before = refused(api, counter)
    got, answer = post(api, "/v1/checks/photo", body, content_type="image/png")
    assert (got, answer["error"]) == (status, counter)
    assert refused(api, counter) == before + 1


@pytest.mark.parametrize("keep", [200, 1000])
def test_a_truncated_jpeg_is_corrupt_or_unreadable_never_a_crash(api, keep):
    ok, buf = cv2.imencode(".jpg", np.full((600, 800, 3), 128, np.uint8))
    status, answer = post(api, "/v1/checks/photo", buf.tobytes()[:keep], content_type="image/jpeg")
    assert status in (200, 422), answer
    if status == 200:   # OpenCV decodes what arrived: a grey field, nothing to read on it
        assert answer["verdict"] == "unreadable" and answer["reason"].startswith("No document")
    else:
        assert answer["error"] == "corrupt_image"


def test_a_photo_of_a_passport_is_read_and_verified(api):
    rng = np.random.default_rng(11)
    doc = make_document(rng, "icao-td3", BEFORE_EXPIRY.date())
    while doc.verdict != "valid":
        doc = make_document(rng, "icao-td3", BEFORE_EXPIRY.date())
    ok, buf = cv2.imencode(".jpg", photograph(rng, draw_document(rng, doc)))
    status, answer = post(api, "/v1/checks/photo?document=mrz", buf.tobytes(),
                          content_type="image/jpeg")
    assert status == 200 and answer["verdict"] == "valid", answer
    assert answer["document_type"] == "icao-td3"
    event = api["sink"].events[-1][2]
    number = doc.lines[1][:9].rstrip("<")
    assert event.subject_tag == subject_tag("icao-td3", number, KEY)
    assert number not in event.model_dump_json()


def test_unknown_routes_and_health(api):
    with urllib.request.urlopen(api["url"] + "/v1/health", timeout=10) as response:
        assert json.loads(response.read())["status"] == "ok"
    status, answer = post(api, "/v1/nothing", b"{}")
    assert status == 404 and answer["error"] == "not_found"
    status, answer = post(api, "/v1/checks/photo?document=visa", b"x", content_type="image/png")
    assert status == 422 and answer["error"] == "malformed" and "document" in answer["detail"]


def test_the_heartbeat_counts_verdicts_and_refusals(api):
    status = api["service"].status()
    assert status.checks == sum(status.verdicts.values()) >= 1
    assert status.refused.get("unauthenticated", 0) >= 1


def test_officer_reason_for_every_verdict():
    from checkpoint.verify import Verification, verify_mrz

    assert officer_reason(verify_mrz(TD3, BEFORE_EXPIRY.date())).startswith("Valid: all")
    assert officer_reason(Verification(None, "unreadable")).startswith("No document")
    forged = verify_mrz([TD3[0], TD3[1][:3] + "7" + TD3[1][4:]], BEFORE_EXPIRY.date())
    typed, photo = officer_reason(forged), officer_reason(forged, from_photo=True)
    assert typed == ("Not valid. Failed: document number matches its check digit; the zone as "
                     "a whole matches its composite check digit.")
    assert photo.startswith(typed) and "retake the photo" in photo


def test_the_api_speaks_https_with_the_configured_certificate(tmp_path):
    """TLS-ready: with tls_certfile and tls_keyfile the box serves HTTPS only."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "box.crt", tmp_path / "box.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = free_port()
    cfg = CheckpointConfig(
        checkpoint_id="tls-unit", cameras=[CameraConfig(id="c1", source="x.mp4")],
        terminal_api=TerminalApiConfig(host="127.0.0.1", port=port, tls_certfile=cert,
                                       tls_keyfile=key, terminals=[TerminalConfig(
                                           id="t1", lane="1", token_sha256=token_hash("tok"))]))
    sink = Sink()
    service = TerminalService(cfg, sink, LaneBoard(timedelta(minutes=5)), KEY,
                              clock=lambda: BEFORE_EXPIRY)
    server = TerminalServer(service, cfg.terminal_api)
    server.start()
    try:
        context = ssl.create_default_context(cafile=str(cert))
        request = urllib.request.Request(f"https://127.0.0.1:{port}/v1/checks", method="POST",
                                         data=json.dumps({"document": "mrz", "lines": TD3}).encode(),
                                         headers={"Authorization": "Bearer tok",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            assert json.loads(response.read())["verdict"] == "valid"
        with pytest.raises(OSError):      # no plain HTTP on the TLS port
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=5)
    finally:
        server.stop()
    assert len(sink.events) == 1


def test_every_route_but_health_needs_a_terminal_token(api):
    from fastapi.routing import APIRoute

    from checkpoint.terminal import terminal_app

    routes = [(r.path, m) for r in terminal_app(api["service"]).routes
              if isinstance(r, APIRoute) for m in r.methods]
    assert ("/v1/health", "GET") in routes and len(routes) >= 3
    for path, method in routes:
        if path == "/v1/health":
            continue
        request = urllib.request.Request(api["url"] + path, data=b"{}", method=method)
        with pytest.raises(urllib.error.HTTPError) as refused_:
            urllib.request.urlopen(request, timeout=10)
        assert refused_.value.code == 401, (path, method)


def test_a_prc_card_sent_as_an_mrz_is_unreadable_not_read_as_a_card(api):
    rng = np.random.default_rng(12)
    doc = make_document(rng, "cn-resident-id", BEFORE_EXPIRY.date())
    ok, buf = cv2.imencode(".jpg", photograph(rng, draw_document(rng, doc)))
    status, as_mrz = post(api, "/v1/checks/photo?document=mrz", buf.tobytes(),
                          content_type="image/jpeg")
    _, as_card = post(api, "/v1/checks/photo?document=cn-resident-id", buf.tobytes(),
                      content_type="image/jpeg")
    assert status == 200 and as_mrz["verdict"] == "unreadable"
    assert as_card["document_type"] == "cn-resident-id" and as_card["verdict"] == doc.verdict


json_bodies = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["document", "lines", "number", "valid_from", "valid_until", "x"])
        | st.text(max_size=8), inner, max_size=5), max_leaves=12)
bodies = st.one_of(json_bodies.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300),
                   st.fixed_dictionaries({"document": st.sampled_from(["mrz", "cn-resident-id"]),
                                          "lines": st.lists(st.text(max_size=60), max_size=4),
                                          "number": st.text(max_size=40)}).map(
                       lambda v: json.dumps(v).encode()))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(body=bodies, path=st.sampled_from(["/v1/checks", "/v1/checks/photo",
                                          "/v1/checks/photo?document=mrz", "/v1/../etc/passwd",
                                          "/v1/checks/%2e%2e/%2e%2e"]),
       token=st.sampled_from([TOKENS["t1"], None, "forged-token", TOKENS["t1"] + "x"]),
       content_type=st.sampled_from(["application/json", "image/jpeg", "text/plain"]))
def test_any_request_gets_an_answer_or_a_clear_4xx_never_a_5xx(api, body, path, token,
                                                               content_type):
    status, answer = post(api, path, body, token=token, content_type=content_type)
    assert status < 500, answer
    if status >= 400:
        assert answer["error"] and answer["detail"]
    if token != TOKENS["t1"] and path.startswith("/v1/checks"):
        assert status in (401, 404)


def get(api, path: str, token: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(api["url"] + path)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_console_fetches_a_scene_image_and_nobody_else_does(api):
    ref = "2026-12-01/0192f7a0-1c2d-7e3f-8a9b-0c1d2e3f4a5b.jpg"
    scene = api["evidence"] / ref
    scene.parent.mkdir(parents=True, exist_ok=True)
    scene.write_bytes(b"\xff\xd8\xff a scene")
    assert get(api, f"/v1/evidence/{ref}", CONSOLE) == (200, b"\xff\xd8\xff a scene")
    for token in (None, TOKENS["t1"], "forged"):         # terminals may not read scenes
        assert get(api, f"/v1/evidence/{ref}", token)[0] == 401
    for bad in ("2026-12-01/missing-0000.jpg", "..%2F..%2Fetc/passwd", "2026-12-01/%2e%2e",
                "2026-12-01/0192f7a0-1c2d-7e3f-8a9b-0c1d2e3f4a5c.jpg"):
        assert get(api, f"/v1/evidence/{bad}", CONSOLE)[0] == 404, bad
