"""The console on the real Redis and Kafka: its services, accounts of each role, logged-in
clients. Shared by the console's HTTP and browser tests."""
from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from fastapi.testclient import TestClient

from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import Evidence
from stream.console.accounts import Accounts, Role
from stream.console.app import create_app
from stream.console.config import ConsoleConfig, Place
from stream.console.desk import KafkaAlertPublisher
from stream.console.services import Services
from stream.console.sessions import COOKIE
from stream.history import HistoryReader
from stream.settings import database_url, redis_url
from stream.state import StreamState
from stream.watchlist_api import WatchlistTopic
from stream.wire import Alert, MatchExplanation, WatchlistEntry

PASSWORD = "correct horse battery staple"
CONFIG = ConsoleConfig(covert_lists=("covert",), max_unacknowledged=2, units=("patrol-1",),
                       checkpoints={"demo-jinan-01": Place(name="G104 north exit", lat=36.742,
                                                           lon=117.008),
                                    "jinan-g220-east": Place(name="G220 east", lat=36.67,
                                                             lon=117.15)})


def make_services(kafka: str, config: ConsoleConfig = CONFIG, clock=None) -> Services:
    return Services(config, redis.Redis.from_url(redis_url(), decode_responses=True),
                    redis_url(), KafkaAlertPublisher(kafka), HistoryReader(database_url()),
                    WatchlistTopic(kafka), clock)


@pytest.fixture
def console(kafka, redis_client) -> Services:
    made = make_services(kafka)
    yield made
    made.publisher.close()


@pytest.fixture
def users(console) -> dict[Role, str]:
    """A fresh account of each role (test-unique names), all with PASSWORD."""
    accounts = Accounts(console.redis)
    suffix = uuid.uuid4().hex[:8]
    made = {role: accounts.create(f"{role.value}-{suffix}", PASSWORD, role).username
            for role in Role}
    made["operator2"] = accounts.create(f"operator2-{suffix}", PASSWORD, Role.OPERATOR).username
    return made


def client_for(services: Services) -> TestClient:
    # https: the session cookie is Secure, and the client sends it only over https
    return TestClient(create_app(services), base_url="https://testserver",
                      follow_redirects=False)


def logged_in(services: Services, username: str) -> tuple[TestClient, str]:
    """A client with a live session for ``username``, and that session's CSRF token."""
    client = client_for(services)
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.text
    session = services.sessions.resume(client.cookies.get(COOKIE))
    return client, session.csrf


def new_alert(*, list_name: str = "stolen", plate: str = "鲁A12345", match: str = "exact",
              differing: tuple[int, ...] = (), priority: int = 1,
              checkpoint_id: str | None = None, scene_ref: str | None = None) -> Alert:
    """An alert recorded as a worker records one (the real writer, StreamState)."""
    entry = WatchlistEntry(entry_id=f"e-{uuid.uuid4().hex[:8]}", list=list_name, plate=plate,
                           category="stolen vehicle", priority=priority,
                           disposal="stop and hold", reason="reported stolen",
                           case_number="JN-2026-1201-01", created_by="pytest",
                           last_verified=utcnow())
    read = plate if match == "exact" else plate[:-1] + "8"
    alert = Alert(alert_id=str(uuid.uuid4()), raised_at=utcnow(),
                  checkpoint_id=checkpoint_id or f"test-{uuid.uuid4().hex[:6]}", camera_id="c1",
                  passage_id=str(uuid.uuid4()),
                  plate=read, entry=entry,
                  match=MatchExplanation(type=match, read=read,
                                         differing_positions=list(differing)),
                  priority=priority, disposal=entry.disposal,
                  evidence=Evidence(scene_ref=scene_ref))

    async def record() -> None:
        state = StreamState.connect(redis_url())
        await state.record_new_alert(alert, escalate_at=alert.raised_at.timestamp() + 3600)
        await state.close()
    with ThreadPoolExecutor(1) as pool:  # its own event loop: the caller may be running one
        pool.submit(asyncio.run, record()).result()
    return alert
