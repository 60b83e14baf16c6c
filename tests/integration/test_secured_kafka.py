"""kakou's Kafka clients on a listener that requires SASL (the local broker's second listener,
PLAIN, a test account): the edge's uplink and a stream worker authenticate with the password
from a file, a wrong password keeps events spooled, and the password is in no log."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from checkpoint.publish import Publisher
from checkpoint.spool import Spool
from checkpoint.wire.topics import PASSAGES
from stream.lab.worker import WorkerProcess

from .conftest import ROOT
from .test_alerts import passage, stored_alert
from .test_edge_outage import wait_for

spec = importlib.util.spec_from_file_location("services", ROOT / ".ci" / "services.py")
SERVICES = importlib.util.module_from_spec(spec)
spec.loader.exec_module(SERVICES)
SASL = f"127.0.0.1:{SERVICES.KAFKA_SASL_PORT}"


def sasl_settings(protocol: str, folder: Path, monkeypatch, **extra: str) -> dict[str, str]:
    """The local broker's test account on a ``protocol`` listener, its password in a file, set
    in this process's environment and returned for a worker's."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip(f"Kafka is external (KAFKA_BOOTSTRAP_SERVERS set): no local {protocol} listener")
    password = folder / "kafka-password"
    password.write_text(SERVICES.KAFKA_SASL_PASSWORD + "\n")
    env = {"KAKOU_KAFKA_SECURITY_PROTOCOL": protocol, "KAKOU_KAFKA_SASL_MECHANISM": "PLAIN",
           "KAKOU_KAFKA_USERNAME": SERVICES.KAFKA_SASL_USER,
           "KAKOU_KAFKA_PASSWORD_FILE": str(password), **extra}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def sasl_env(kafka, tmp_path, monkeypatch) -> dict[str, str]:
    return sasl_settings("SASL_PLAINTEXT", tmp_path, monkeypatch)


def uplink_and_worker_match(bootstrap: str, env: dict[str, str], redis_client, checkpoint_id: str,
                            folder: Path) -> None:
    """A box's uplink publishes a hit to ``bootstrap`` and a worker there, with ``env``,
    raises its alert."""
    hit = passage(checkpoint_id, "KA482BC")
    uplink = Publisher(Spool(folder / "box.sqlite"), bootstrap, send_timeout_s=5, max_backoff_s=1)
    try:
        uplink.publish(PASSAGES.name, checkpoint_id, hit)
        assert uplink.wait_drained(60), uplink.status.last_error
    finally:
        uplink.close()
    secured = WorkerProcess(folder / "secured-worker.log",
                            env={**env, "KAFKA_BOOTSTRAP_SERVERS": bootstrap})
    secured.start()                       # ready: it read the whole watchlist on this listener
    try:
        wait_for("the alert", lambda: stored_alert(redis_client, "demo-stolen-001", hit), 60)
    finally:
        secured.stop()


def refused(bootstrap: str, checkpoint_id: str, folder: Path) -> Publisher:
    """A box's uplink that tries to publish one passage and cannot: it keeps it, loses nothing;
    its status, for the caller to read."""
    uplink = Publisher(Spool(folder / "refused.sqlite"), bootstrap, send_timeout_s=3,
                       max_backoff_s=1)
    try:
        uplink.publish(PASSAGES.name, checkpoint_id, passage(checkpoint_id, "ZZ00000"))
        assert not uplink.wait_drained(10) and uplink.depth() == 1   # kept, not lost
        assert not uplink.status.online
    finally:
        uplink.close()
    return uplink


def no_password_in_logs(folder: Path) -> None:
    logs = [folder / "secured-worker.log", *Path(ROOT / ".services" / "kafka").glob("*.log")]
    assert not [p for p in logs if SERVICES.KAFKA_SASL_PASSWORD.encode() in p.read_bytes()]


def test_the_uplink_and_a_worker_authenticate_and_a_wrong_password_is_refused(
        sasl_env, redis_client, worker, checkpoint_id, tmp_path, monkeypatch):
    uplink_and_worker_match(SASL, sasl_env, redis_client, checkpoint_id, tmp_path)
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not the password")
    monkeypatch.setenv("KAKOU_KAFKA_PASSWORD_FILE", str(wrong))
    refused(SASL, checkpoint_id, tmp_path)
    no_password_in_logs(tmp_path)
