"""kakou against a Redis that requires a password (AUTH), as production runs: the stream's
state, the audit log and the console's accounts and sessions work with the password in
REDIS_URL, a client without it is refused, and the password appears in no log of the test."""
from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis

from checkpoint.wire.base import utcnow
from stream.audit import AuditLog
from stream.console.accounts import Accounts, Role
from stream.console.config import ConsoleConfig
from stream.console.sessions import Sessions
from stream.state import StreamState
from stream.wire import Alert, MatchExplanation, WatchlistEntry

from .conftest import RUN_LOG

PASSWORD = "redis-auth-test-password-0123456789"


@pytest.fixture
def secured_redis(tmp_path):
    """A Redis server of the test's own, on a free port, that requires PASSWORD."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: `make services` installs Debian's redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                               str(tmp_path), "--requirepass", PASSWORD, "--save", "",
                               "--logfile", str(tmp_path / "redis.log")])
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "the secured Redis did not start"
            time.sleep(0.1)
    yield port, url
    server.terminate()
    server.wait(timeout=20)


def test_everything_works_with_the_password_and_nothing_without(secured_redis, tmp_path):
    port, url = secured_redis
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port).set("x", 1)

    client = redis.Redis.from_url(url, decode_responses=True)
    record = AuditLog(client).append("pytest", "test", "auth", reason="authenticated Redis")
    assert AuditLog(client).verify() == [] and record.seq == 1
    account = Accounts(client).create("auth-operator", "a long enough password", Role.OPERATOR)
    token, session = Sessions(client, ConsoleConfig()).open(account, "127.0.0.1")
    assert Sessions(client, ConsoleConfig()).resume(token) == session

    entry = WatchlistEntry(entry_id="e1", list="stolen", plate="KA482BC", category="stolen",
                           priority=1, disposal="stop", created_by="pytest")
    alert = Alert(alert_id=str(uuid.uuid4()), raised_at=utcnow(), checkpoint_id="auth",
                  plate="KA482BC", entry=entry, priority=1, disposal="stop",
                  match=MatchExplanation(type="exact", read="KA482BC"))

    async def stream_side() -> Alert | None:
        state = StreamState.connect(url)
        await state.record_new_alert(alert, time.time() + 60)
        stored = await state.alert(alert.alert_id)
        await state.close()
        return stored
    assert asyncio.run(stream_side()) == alert

    logs = [tmp_path / "redis.log", RUN_LOG]
    assert not [p for p in logs if p.exists() and PASSWORD.encode() in p.read_bytes()]
