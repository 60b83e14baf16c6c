"""Real services for integration tests: the project's own Kafka broker and Redis server.

``make test`` starts them (``.ci/services.py up``) once per run; these fixtures only make sure
they are up, create the topics, import the sample watchlist and start one stream worker for the
whole session. With KAFKA_BOOTSTRAP_SERVERS / REDIS_URL set, the tests use those services instead,
and the tests that must stop the broker are skipped.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from checkpoint.wire.settings import kafka_bootstrap
from checkpoint.wire.topics import ensure_topics
from stream.lab.worker import WorkerProcess
from stream.history import HistoryReader
from stream.settings import database_url, redis_url
from stream.watchlist_cli import main as watchlist_cli

from .console_fixtures import console, users  # noqa: F401  (the console tests' fixtures)

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [sys.executable, str(ROOT / ".ci" / "services.py")]
#: The session worker escalates priority-5 alerts fast, the sample watchlist's (1, 2) never.
ESCALATE_AFTER_S = {1: 3600, 2: 3600, 3: 3600, 4: 3600, 5: 2}
OFFLINE_AFTER_S = 3
#: The one checkpoint whose flow warns (3 vehicles a minute); other tests' checkpoints never do.
FLOW_CHECKPOINT = "flow-test"

def services(*args: str) -> None:
    subprocess.run([*SERVICES, *args], check=True, cwd=ROOT)


def stored(*event_ids: str) -> set[str]:
    """Which of these passages the stream has handled whole: the history holds them (their
    alerts raised and flow counted before it committed them)."""
    return HistoryReader(database_url()).stored(event_ids)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka() -> str:
    services("up")
    ensure_topics()
    return kafka_bootstrap()


@pytest.fixture(scope="session")
def redis_client(kafka) -> redis.Redis:
    return redis.Redis.from_url(redis_url(), decode_responses=True)


@pytest.fixture(scope="session")
def worker(kafka, redis_client, tmp_path_factory):
    """One stream worker for the session, started after the sample watchlist is on its topic."""
    assert watchlist_cli(["import", str(ROOT / "configs" / "watchlist-sample.csv"),
                          "--created-by", "pytest"]) == 0
    folder = tmp_path_factory.mktemp("worker")
    config = folder / "stream.yaml"
    config.write_text((ROOT / "configs" / "stream.yaml").read_text()
                      + f"\nescalate_after_s: {ESCALATE_AFTER_S}\nescalation_check_s: 0.5\n"
                      f"offline_after_s: {OFFLINE_AFTER_S}\nstatus_check_s: 0.5\n"
                      f"checkpoints:\n  {FLOW_CHECKPOINT}:\n    home_prefixes: [KA]\n"
                      "    flow_warning: {1m: 3}\n")
    proc = WorkerProcess(folder / "worker.log", env={"KAKOU_STREAM_CONFIG": str(config)})
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def checkpoint_id() -> str:
    """A fresh checkpoint id per test, so tests never see each other's events."""
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def can_stop_kafka() -> None:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("Kafka is external (KAFKA_BOOTSTRAP_SERVERS set); this test stops the broker")


#: What the fault tests measured, printed at the end of the run (RELIABILITY.md cites them).
FIGURES: list[str] = []


@pytest.fixture
def figure():
    """Record one measured figure (a line) for the end-of-run summary."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


#: Everything the test process itself logs (in-process consoles, boxes' uplinks, the worker's
#: client code), for the test that no log holds a secret or a document's data.
RUN_LOG = ROOT / ".services" / "pytest-run.log"


@pytest.fixture(scope="session", autouse=True)
def run_log():
    import logging
    RUN_LOG.parent.mkdir(exist_ok=True)
    handler = logging.FileHandler(RUN_LOG, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(min(previous, logging.INFO))
    yield RUN_LOG
    root.removeHandler(handler)
    root.setLevel(previous)
    handler.close()
