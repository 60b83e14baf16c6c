"""Redis and PostgreSQL restarted under load, on the real services and the session worker:
nothing the stream was sent is lost or doubled, alert states, console sessions and the audit
chain survive Redis's restart (AOF), and a console's live stream resumes where it stopped."""
from __future__ import annotations

import asyncio
import os

import pytest

from stream import keys
from stream.audit import AuditLog
from stream.console import live
from stream.console.accounts import Role
from stream.wire import Alert, alert_id_for, decode_alert

from .conftest import services
from .console_fixtures import logged_in
from .test_alerts import passage, processed, send, stored_alert
from .test_edge_outage import wait_for
from .test_history import history_rows_of


@pytest.fixture
def can_stop_redis() -> None:
    if os.environ.get("REDIS_URL"):
        pytest.skip("Redis is external (REDIS_URL set); this test restarts the server")


@pytest.fixture
def can_stop_postgres() -> None:
    if os.environ.get("DATABASE_URL"):
        pytest.skip("PostgreSQL is external (DATABASE_URL set); this test restarts it")


def live_alerts_after(redis_url: str, last_id: str, wanted: set[str]) -> list[str]:
    """The ids of the wanted alerts a console's live stream sends after ``last_id``."""
    async def run() -> list[str]:
        client = live.connect(redis_url)
        seen: list[str] = []

        async def alive():
            return not wanted <= set(seen)

        async def nothing():
            return []
        async for chunk in live.follow(client, last_id, snapshot=nothing,
                                       visible=lambda a: True, alive=alive):
            if chunk.startswith("id: ") and "event: alert" in chunk:
                alert = decode_alert(chunk.split("data: ", 1)[1].split("\n")[0].encode())
                if alert.alert_id in wanted and alert.alert_id not in seen:
                    seen.append(alert.alert_id)
        await client.aclose()
        return seen
    return asyncio.run(asyncio.wait_for(run(), 60))


def test_a_redis_restart_under_load_loses_no_alert_state_session_or_live_event(
        kafka, redis_client, worker, checkpoint_id, console, users, can_stop_redis, figure):
    first = passage(checkpoint_id, "KA482BC")
    send(kafka, first)
    alert = wait_for("the first alert", lambda: stored_alert(redis_client, "demo-stolen-001",
                                                             first), 60)
    client, csrf = logged_in(console, users[Role.OPERATOR])
    assert client.post(f"/alerts/{alert.alert_id}/actions",
                       data={"csrf": csrf, "step": "acknowledge",
                             "expected": "new"}).status_code == 303
    last_id = redis_client.xrevrange(keys.LIVE_ALERTS, count=1)[0][0]

    services("stop", "redis")
    try:
        # passages keep coming while Redis is down; the worker holds them until it is back
        during = [passage(f"{checkpoint_id}-{i}", "WX963LA") for i in range(3)]
        send(kafka, *during)
    finally:
        services("start", "redis")
    wait_for("the passages sent while Redis was down", lambda: processed(*during),
             120, 0.5)

    after = Alert.model_validate_json(redis_client.get(keys.ALERT_KEY.format(
        alert_id=alert.alert_id)))
    assert after.state.value == "acknowledged"                      # alert state kept (AOF)
    assert client.get("/api/alerts").status_code == 200            # the session too
    assert AuditLog(console.redis).verify() == []                  # and an unbroken chain
    wanted = {alert_id_for("demo-wanted-003", p.event_id) for p in during}
    assert set(live_alerts_after(console.redis_url, last_id, wanted)) == wanted
    figure(f"Redis restarted with {len(during)} hits in flight: alerts lost 0, alert state, "
           "console session and audit chain kept, live stream resumed with every alert")


def test_a_postgres_restart_under_load_leaves_no_passage_out_of_the_history(
        kafka, redis_client, worker, checkpoint_id, can_stop_postgres, figure):
    before = [passage(checkpoint_id, f"PG{i:04d}A") for i in range(5)]
    send(kafka, *before)
    wait_for("the history before the restart",
             lambda: len(history_rows_of([p.event_id for p in before])) == 5, 60)
    services("stop", "postgres")
    try:
        during = [passage(checkpoint_id, f"PG{i:04d}B") for i in range(20)]
        send(kafka, *during)
    finally:
        services("start", "postgres")
    everything = before + during
    wait_for("every passage processed", lambda: processed(*everything), 120, 0.5)
    rows = history_rows_of([p.event_id for p in everything])
    assert rows == {p.event_id: 1 for p in everything}              # none missing, none twice
    figure(f"PostgreSQL restarted with {len(during)} passages in flight: history rows "
           f"{len(rows)} of {len(everything)}, each once")
