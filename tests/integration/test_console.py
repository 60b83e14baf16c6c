"""The console's HTTP API on the real Redis and Kafka: every route behind its role, login and
sessions, CSRF, and the alert workflow end to end, audited and published."""
from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkpoint.config import (
    CameraConfig,
    CheckpointConfig,
    ConsoleReader,
    TerminalApiConfig,
    TerminalConfig,
)
from checkpoint.lanes import LaneBoard
from checkpoint.terminal import TerminalServer, TerminalService, token_hash
from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import CameraStatus, Heartbeat
from checkpoint.wire.pseudonym import PseudonymKey
from stream import keys
from stream.audit import AuditLog
from stream.console import live
from stream.console.accounts import Role
from stream.console.app import create_app
from stream.console.config import BoxLink
from stream.console.desk import Viewer
from stream.console.sessions import COOKIE
from stream.state import StreamState
from stream.wire import decode_alert

from ..checkpoint.test_terminal import free_port
from .console_fixtures import (
    CONFIG,
    PASSWORD,
    client_for,
    logged_in,
    make_services,
    new_alert,
)
from .test_alerts import passage, send, stored_alert
from .test_edge_outage import wait_for, watchlist_alerts

#: Capability each non-public route needs; a new route must be added here to pass.
ROUTE_NEEDS = {
    ("GET", "/"): "session", ("POST", "/logout"): "session",
    ("GET", "/alerts"): "alerts", ("GET", "/api/alerts"): "alerts",
    ("GET", "/alerts/events"): "alerts", ("GET", "/alerts/{alert_id}"): "alerts",
    ("POST", "/alerts/{alert_id}/actions"): "alerts", ("GET", "/alerts/{alert_id}/scene"): "alerts",
    ("GET", "/users"): "users", ("POST", "/users/{username}/logout"): "users",
    ("POST", "/users/{username}/disable"): "users",
    ("GET", "/audit"): "audit", ("GET", "/audit/verify"): "audit",
    ("GET", "/search"): "alerts", ("POST", "/search"): "alerts",
    ("GET", "/trace"): "alerts", ("POST", "/trace"): "alerts", ("GET", "/stats"): "alerts",
    ("GET", "/watchlists"): "watchlists", ("GET", "/watchlists/entries/{entry_id}"): "watchlists",
    ("POST", "/watchlists/entries/{entry_id}"): "watchlists",
    ("POST", "/watchlists/import"): "watchlists", ("POST", "/watchlists/import/{token}"):
    "watchlists", ("POST", "/watchlists/export"): "watchlists",
}
PUBLIC = {("GET", "/health"), ("GET", "/login"), ("POST", "/login")}
ROLES_FOR = {"session": set(Role), "alerts": {Role.OPERATOR, Role.SUPERVISOR},
             "users": {Role.SUPERVISOR}, "watchlists": {Role.SUPERVISOR},
             "audit": {Role.AUDITOR}}


def routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, its included routers' too (from its OpenAPI
    schema, which FastAPI builds from every route whether or not it is published)."""
    return {(method.upper(), path) for path, ops in app.openapi()["paths"].items()
            for method in ops}


def test_every_route_is_public_or_needs_a_session_with_the_right_role(console, users):
    app = create_app(console)
    assert routes(app) == set(ROUTE_NEEDS) | PUBLIC, "a route was added: say what it needs"
    anonymous = client_for(console)
    clients = {role: logged_in(console, users[role]) for role in Role}
    for (method, path), capability in ROUTE_NEEDS.items():
        url = (path.replace("{alert_id}", "no-such-alert").replace("{username}", "nobody")
               .replace("{entry_id}", "no-such-entry").replace("{token}", "no-such-upload"))
        assert anonymous.request(method, url).status_code == 401, (method, path)
        for role, (client, csrf) in clients.items():
            if path == "/logout":
                continue  # it would end the session the other routes use
            with client.stream(method, url, data={"csrf": csrf} if method == "POST"
                               else None) as response:  # a stream: the live one never ends
                pass
            allowed = role in ROLES_FOR[capability]
            assert (response.status_code != 403) == allowed, (method, path, role,
                                                              response.status_code)


def test_a_page_without_a_session_goes_to_the_login_page(console):
    response = client_for(console).get("/alerts", headers={"accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_session_cookie_is_opaque_httponly_secure_and_strict(console, users):
    client = client_for(console)
    response = client.post("/login", data={"username": users[Role.OPERATOR],
                                           "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    assert re.search(r"kakou_session=[A-Za-z0-9_-]{40,};", cookie)
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag.lower() in cookie.lower()
    token = client.cookies.get(COOKIE)
    assert not console.redis.exists(f"kakou:console:session:{token}")  # only its digest is kept


def test_posts_need_the_sessions_csrf_token_and_this_origin(console, users):
    alert = new_alert()
    client, csrf = logged_in(console, users[Role.OPERATOR])
    step = {"step": "acknowledge", "expected": "new"}
    url = f"/alerts/{alert.alert_id}/actions"
    assert client.post(url, data=step).status_code == 403
    assert client.post(url, data={**step, "csrf": "forged"}).status_code == 403
    other, _ = logged_in(console, users["operator2"])
    assert client.post(url, data={**step, "csrf": console.sessions.resume(
        other.cookies.get(COOKIE)).csrf}).status_code == 403   # another session's token
    assert client.post(url, data={**step, "csrf": csrf},
                       headers={"origin": "https://evil.example"}).status_code == 403
    assert console.desk.alert(alert.alert_id, Viewer("pytest", True)).state.value == "new"
    assert client.post(url, data={**step, "csrf": csrf},
                       headers={"origin": "https://testserver"}).status_code == 303


def test_wrong_passwords_are_refused_then_the_account_is_locked_for_the_window(console, users):
    name = users[Role.AUDITOR]
    client = client_for(console)
    for _ in range(CONFIG.login.per_account):
        response = client.post("/login", data={"username": name, "password": "wrong password!"})
        assert response.status_code == 401 and "Wrong username or password" in response.text
    locked = client.post("/login", data={"username": name, "password": PASSWORD})
    assert locked.status_code == 429 and "Try again in" in locked.text
    assert COOKIE not in locked.cookies
    actions = [r.action for r in AuditLog(console.redis).records()
               if r.target == name]
    assert actions.count("login.failed") == CONFIG.login.per_account
    assert "login.refused" in actions


def test_an_unknown_user_is_told_the_same_as_a_wrong_password(console):
    response = client_for(console).post("/login", data={"username": "nobody-at-all",
                                                         "password": PASSWORD})
    assert response.status_code == 401 and "Wrong username or password" in response.text


def test_logout_and_forced_logout_end_sessions_at_once(console, users):
    operator, op_csrf = logged_in(console, users[Role.OPERATOR])
    second, _ = logged_in(console, users[Role.OPERATOR])
    supervisor, sup_csrf = logged_in(console, users[Role.SUPERVISOR])
    assert operator.get("/api/alerts").status_code == 200
    assert operator.post("/logout", data={"csrf": op_csrf}).status_code == 303
    assert operator.get("/api/alerts").status_code == 401
    assert second.get("/api/alerts").status_code == 200
    assert supervisor.post(f"/users/{users[Role.OPERATOR]}/logout",
                           data={"csrf": sup_csrf}).status_code == 303
    assert second.get("/api/alerts").status_code == 401
    assert supervisor.post(f"/users/{users['operator2']}/disable",
                           data={"csrf": sup_csrf}).status_code == 303
    refused = client_for(console).post("/login", data={"username": users["operator2"],
                                                        "password": PASSWORD})
    assert refused.status_code == 401


def test_a_session_ends_at_its_maximum_age_however_busy(kafka, users):
    now = [1_000_000.0]
    clocked = make_services(kafka, clock=lambda: now[0])
    client, _ = logged_in(clocked, users[Role.OPERATOR])
    assert client.get("/api/alerts").status_code == 200
    digest = clocked.sessions.resume(client.cookies.get(COOKIE)).digest
    assert 0 < clocked.redis.ttl(f"kakou:console:session:{digest}") <= CONFIG.idle_timeout_s
    now[0] += CONFIG.session_max_s + 1
    assert client.get("/api/alerts").status_code == 401
    clocked.publisher.close()


def test_an_oversize_body_is_refused(console, users):
    client, csrf = logged_in(console, users[Role.OPERATOR])
    response = client.post("/alerts/x/actions", data={"csrf": csrf, "note": "x" * 70_000})
    assert response.status_code == 413


def test_the_workflow_end_to_end_is_audited_published_and_one_operator_wins(
        kafka, redis_client, worker, checkpoint_id, console, users):
    hit = passage(checkpoint_id, "KA482BC")   # on the sample watchlist: the worker alerts
    send(kafka, hit)
    alert = wait_for("the worker's alert", lambda: stored_alert(redis_client, "demo-stolen-001",
                                                                hit), 60)
    first, csrf1 = logged_in(console, users[Role.OPERATOR])
    second, csrf2 = logged_in(console, users["operator2"])
    url = f"/alerts/{alert.alert_id}/actions"
    json_accept = {"accept": "application/json"}

    def step(client, csrf, **form):
        return client.post(url, data={"csrf": csrf, **form}, headers=json_accept)

    assert step(first, csrf1, step="acknowledge", expected="new").status_code == 200
    lost = step(second, csrf2, step="acknowledge", expected="new")
    assert lost.status_code == 409 and users[Role.OPERATOR] in lost.json()["detail"]
    assert not console.redis.zscore(keys.ESCALATE_AT, alert.alert_id)   # acknowledged

    early = step(first, csrf1, step="dispatch", expected="acknowledged", unit="patrol-1")
    assert early.status_code == 422 and "cannot dispatch" in early.json()["detail"]
    unverified = step(first, csrf1, step="confirm", expected="acknowledged")
    assert unverified.status_code == 422 and "verify" in unverified.json()["detail"]

    for form in ({"step": "verify", "expected": "acknowledged", "check_characters": "on",
                  "check_region": "on", "check_entry_valid": "on"},
                 {"step": "confirm", "expected": "acknowledged"},
                 {"step": "dispatch", "expected": "confirmed", "unit": "patrol-1"},
                 {"step": "dispose", "expected": "dispatched", "outcome": "intercepted"}):
        assert step(first, csrf1, **form).status_code == 200, form
    assert console.redis.zscore(keys.OPEN_ALERTS, alert.alert_id) is None   # closed

    published = [a for a in watchlist_alerts(kafka) if a.alert_id == alert.alert_id]
    assert [a.state.value for a in published] == ["new", "acknowledged", "acknowledged",
                                                  "confirmed", "dispatched", "disposed"]
    assert len({a.event_id for a in published}) == len(published)
    assert published[-1].history[-1].outcome == "intercepted"
    audited = [r for r in AuditLog(console.redis).records() if r.target == alert.alert_id]
    assert [r.action for r in audited] == ["alert.acknowledge", "alert.verify", "alert.confirm",
                                           "alert.dispatch", "alert.dispose"]
    assert all(r.actor == users[Role.OPERATOR] for r in audited)
    assert audited[1].details["checks"] == {"characters": True, "region": True,
                                            "entry_valid": True}


def test_a_rejection_is_counted_by_list_and_checkpoint(console, users):
    list_name = f"rejects-{uuid.uuid4().hex[:8]}"
    alert = new_alert(list_name=list_name)
    client, csrf = logged_in(console, users[Role.OPERATOR])
    url = f"/alerts/{alert.alert_id}/actions"
    assert client.post(url, data={"csrf": csrf, "step": "acknowledge",
                                  "expected": "new"}).status_code == 303
    assert client.post(url, data={"csrf": csrf, "step": "reject", "expected": "acknowledged",
                                  "reason": "wrong-region"}).status_code == 303
    assert console.redis.hget(keys.REJECTS_BY_LIST.format(list=list_name),
                               "wrong-region") == "1"
    assert console.redis.hget(keys.REJECTS_BY_CHECKPOINT.format(
        checkpoint_id=alert.checkpoint_id), "wrong-region") == "1"
    assert console.redis.hget(keys.REJECTS_BY_CAMERA.format(
        checkpoint_id=alert.checkpoint_id), "c1|wrong-region") == "1"
    beat = Heartbeat(checkpoint_id=alert.checkpoint_id, time=utcnow(), spool_depth=7,
                     spool_full=True, spool_held=7,
                     cameras=[CameraStatus(camera_id="c1", state="reconnecting")])

    async def report() -> None:   # the box reports in, as a worker records it
        state = StreamState.connect(console.redis_url)
        await state.record_heartbeat(beat)
        await state.close()
    asyncio.run(report())
    page = client.get("/stats")
    assert page.status_code == 200 and "camera c1: wrong-region 1" in page.text
    assert "c1: degraded" in page.text and "SPOOL DISK FULL" in page.text


def test_covert_alerts_are_seen_by_supervisors_only(console, users):
    covert = new_alert(list_name="covert")
    operator, _ = logged_in(console, users[Role.OPERATOR])
    supervisor, _ = logged_in(console, users[Role.SUPERVISOR])
    assert covert.alert_id not in {a["alert_id"] for a in operator.get("/api/alerts").json()}
    assert operator.get(f"/alerts/{covert.alert_id}").status_code == 404
    assert covert.alert_id in {a["alert_id"] for a in supervisor.get("/api/alerts").json()}
    assert supervisor.get(f"/alerts/{covert.alert_id}").status_code == 200


def test_the_queue_is_most_urgent_first_then_oldest(console, users):
    made = [new_alert(priority=3), new_alert(priority=1), new_alert(priority=3)]
    client, _ = logged_in(console, users[Role.OPERATOR])
    order = [a["alert_id"] for a in client.get("/api/alerts").json()]
    ours = [i for i in order if i in {a.alert_id for a in made}]
    assert ours == [made[1].alert_id, made[0].alert_id, made[2].alert_id]


async def _ours(chunks, wanted: set[str], count: int) -> list[tuple[str, str]]:
    """(event id, alert id) of the first ``count`` events about ``wanted`` alerts."""
    found = []
    async for chunk in chunks:
        if chunk.startswith("id: ") and "event: alert" in chunk:
            event_id = chunk.split("\n")[0][4:]
            alert = decode_alert(chunk.split("data: ", 1)[1].split("\n")[0].encode())
            if alert.alert_id in wanted:
                found.append((event_id, alert.alert_id))
                if len(found) == count:
                    break
    return found


def test_the_live_stream_resumes_right_after_the_last_event_id(console):
    async def forever():
        return True

    async def nothing():
        return []

    def follow(last):
        return live.follow(live.connect(console.redis_url), last,
                           snapshot=nothing,
                           visible=lambda a: True, alive=forever)

    newest = console.redis.xrevrange(keys.LIVE_ALERTS, count=1)
    start = newest[0][0] if newest else "0-0"
    made = [new_alert(), new_alert()]
    wanted = {m.alert_id for m in made}
    both = asyncio.run(_ours(follow(start), wanted, 2))
    assert [a for _, a in both] == [m.alert_id for m in made]
    resumed = asyncio.run(_ours(follow(both[0][0]), wanted, 1))
    assert resumed == [both[1]]


@pytest.mark.parametrize("last_event_id", [None, "0-1", "garbage"])
def test_a_new_browser_or_one_whose_last_event_was_trimmed_gets_a_snapshot_first(
        console, last_event_id):
    new_alert()  # the stream is not empty, so "0-1" lies before its first entry

    async def run():
        async def snapshot():
            return []

        async def ended():
            return False
        client = live.connect(console.redis_url)
        return [c async for c in live.follow(client, last_event_id,
                                             snapshot=snapshot, visible=lambda a: True,
                                             alive=ended)]
    chunks = asyncio.run(run())
    assert chunks[0].startswith("id: ") and "event: snapshot" in chunks[0]
    assert chunks[-1].startswith("event: logout")


def test_any_replica_serves_any_session(kafka, console, users):
    other = make_services(kafka)            # a second console process over the same Redis
    first, csrf = logged_in(console, users[Role.OPERATOR])
    second = client_for(other)
    second.cookies.set(COOKIE, first.cookies.get(COOKIE), domain="testserver.local")
    alert = new_alert()
    assert second.get("/api/alerts").status_code == 200
    step = second.post(f"/alerts/{alert.alert_id}/actions",
                       data={"csrf": csrf, "step": "acknowledge", "expected": "new"})
    assert step.status_code == 303
    seen = {a["alert_id"]: a["state"] for a in first.get("/api/alerts").json()}
    assert seen[alert.alert_id] == "acknowledged"
    other.publisher.close()


def test_an_alerts_scene_image_comes_from_its_box_for_a_console_token(kafka, users, tmp_path):
    token = "console-token-for-the-box-0123456789"
    port = free_port()
    box_cfg = CheckpointConfig(
        checkpoint_id="scene-box", cameras=[CameraConfig(id="c1", source="x.mp4", lane="1")],
        evidence_dir=tmp_path / "evidence",
        terminal_api=TerminalApiConfig(
            host="127.0.0.1", port=port,
            terminals=[TerminalConfig(id="t1", lane="1", token_sha256=token_hash("t" * 32))],
            consoles=[ConsoleReader(id="room", token_sha256=token_hash(token))]))
    service = TerminalService(box_cfg, None, LaneBoard(timedelta(seconds=60)),
                              PseudonymKey("k", b"k" * 32))
    box = TerminalServer(service, box_cfg.terminal_api)
    box.start()
    ref = ".evidence/2026-12-01/0192f7a0-1c2d-7e3f-8a9b-0c1d2e3f4a5b.jpg"
    scene = tmp_path / "evidence" / "2026-12-01" / ref.rsplit("/", 1)[1]
    scene.parent.mkdir(parents=True)
    scene.write_bytes(b"\xff\xd8\xff the whole frame")
    (tmp_path / "token").write_text(token + "\n")
    try:
        linked = make_services(kafka, CONFIG.model_copy(update={"boxes": {"scene-box": BoxLink(
            url=f"http://127.0.0.1:{port}", token_file=tmp_path / "token")}}))
        client, _ = logged_in(linked, users[Role.OPERATOR])
        alert = new_alert(checkpoint_id="scene-box", scene_ref=ref)
        assert f'src="/alerts/{alert.alert_id}/scene"' in client.get(
            f"/alerts/{alert.alert_id}").text
        got = client.get(f"/alerts/{alert.alert_id}/scene")
        assert got.status_code == 200 and got.content == b"\xff\xd8\xff the whole frame"
        scene.unlink()                          # purged by the box's retention
        gone = client.get(f"/alerts/{alert.alert_id}/scene")
        assert gone.status_code == 404 and "no longer has" in gone.json()["detail"]
        elsewhere = new_alert(scene_ref=ref)     # a checkpoint whose box is not linked
        assert client.get(f"/alerts/{elsewhere.alert_id}/scene").status_code == 404
        linked.publisher.close()
    finally:
        box.stop()


form_values = st.text(max_size=60) | st.sampled_from(
    ["acknowledge", "verify", "confirm", "reject", "dispatch", "dispose", "new", "acknowledged",
     "confirmed", "on", "other", "misread", "../../etc/passwd", "<script>x</script>", "\x00",
     "鲁A12345", "*", "?"])
forms = st.dictionaries(st.sampled_from(["step", "expected", "note", "reason", "unit", "outcome",
                                         "check_characters", "plate", "since", "until",
                                         "checkpoint_id", "one_wrong", "case_number", "action",
                                         "username", "password"]), form_values, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(form=forms, path=st.sampled_from(["/alerts/{alert}/actions", "/search", "/trace",
                                         "/watchlists/entries/{alert}", "/watchlists/export",
                                         "/users/{alert}/logout"]))  # not /login: its failures
# would lock this test client's address out of the logins of the tests after it
def test_any_form_on_any_post_route_gets_an_answer_or_a_clear_4xx(console, users, fuzz_alert,
                                                                   form, path):
    client, csrf = fuzz_alert["client"], fuzz_alert["csrf"]
    response = client.post(path.format(alert=fuzz_alert["alert_id"]),
                           data={**form, "csrf": csrf})
    assert response.status_code < 500, (path, form, response.text[:300])


@pytest.fixture
def fuzz_alert(console, users):
    client, csrf = logged_in(console, users[Role.SUPERVISOR])
    return {"client": client, "csrf": csrf, "alert_id": new_alert().alert_id}


def test_a_quiet_live_stream_stays_open_past_the_clients_default_timeout(console):
    async def run() -> list[str]:
        client = live.connect(console.redis_url)
        newest = await client.xrevrange(keys.LIVE_ALERTS, count=1)
        beats = []

        async def alive():
            return len(beats) < 1

        async def nothing():
            return []
        async for chunk in live.follow(client, newest[0][0] if newest else "0-0",
                                       snapshot=nothing, visible=lambda a: True, alive=alive,
                                       block_ms=6_000):   # longer than redis-py's 5 s default
            beats.append(chunk)
        await client.aclose()
        return beats
    chunks = asyncio.run(run())
    assert chunks[0] == ": keep-alive\n\n" or chunks[0].startswith("id: ")
