"""The publisher's policy when the spool's disk is full: hold events in memory, in order, spool
them once there is room, drop and count past the limit; the heartbeat says which (a real
SQLite spool, filled by capping its page count; no broker, so nothing drains)."""
import time

import pytest
from pydantic import BaseModel

from checkpoint import publish
from checkpoint.publish import Publisher
from checkpoint.spool import Spool


class Blob(BaseModel):
    n: int
    data: str


def wait(check, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def full_spool(tmp_path):
    spool = Spool(tmp_path / "box.sqlite")
    for n in range(3):
        spool.put("t", b"k", b"x" * 100)
    pages = spool._db.execute("PRAGMA page_count").fetchone()[0]
    spool._db.execute(f"PRAGMA max_page_count = {pages}")  # as if the disk were full now
    yield spool
    spool.close()


def test_a_full_spool_holds_events_in_memory_and_spools_them_when_there_is_room(full_spool):
    publisher = Publisher(full_spool, "127.0.0.1:1", max_backoff_s=0.2)   # no broker answers
    try:
        for n in range(20):
            publisher.publish("t", "k", Blob(n=n, data="y" * 4000))
        full, held, dropped = publisher.spool_state()
        assert full and held > 0 and dropped == 0
        assert publisher.depth() == 3 + 20                    # waiting: spooled + held
        full_spool._db.execute("PRAGMA max_page_count = 1000000")   # room again
        wait(lambda: publisher.spool_state() == (False, 0, 0))
        assert full_spool.depth() == 23
        ns = [Blob.model_validate_json(e.value).n for e in full_spool.peek(100)[3:]]
        assert ns == list(range(20))                          # in the order they were made
    finally:
        publisher.close()


def test_past_the_memory_limit_new_events_are_dropped_and_counted(full_spool, monkeypatch):
    monkeypatch.setattr(publish, "MAX_HELD", 5)
    publisher = Publisher(full_spool, "127.0.0.1:1", max_backoff_s=0.2)
    try:
        for n in range(12):
            publisher.publish("t", "k", Blob(n=n, data="y" * 4000))
        full, held, dropped = publisher.spool_state()
        assert (full, dropped) == (True, 12 - held) and held <= 5
    finally:
        publisher.close()


# ---------------------------------------------------------------- why the uplink is down

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_broker_is_named():
    port = free_port()
    assert publish.why_unreachable(f"127.0.0.1:{port}", {}) == f"no broker answers at 127.0.0.1:{port}"


def test_a_listener_that_speaks_no_tls_is_named_for_a_tls_cluster():
    import socket
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def answer_in_plain_text() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        threading.Thread(target=answer_in_plain_text, daemon=True).start()
        reason = publish.why_unreachable(f"127.0.0.1:{port}", {"security_protocol": "SSL"})
    assert reason.startswith(f"TLS with 127.0.0.1:{port} failed")
    assert publish.why_unreachable(f"127.0.0.1:{port}", {"security_protocol": "SSL"}) \
        == f"no broker answers at 127.0.0.1:{port}"       # and once it is gone, that


def test_settings_that_cannot_work_stop_the_box_at_start(tmp_path, monkeypatch):
    from checkpoint.wire.settings import KafkaSettingsError

    monkeypatch.setenv("KAKOU_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")   # no username, no password
    with pytest.raises(KafkaSettingsError, match="KAKOU_KAFKA_USERNAME"):
        Publisher(Spool(tmp_path / "box.sqlite"), "127.0.0.1:1")
