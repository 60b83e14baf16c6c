"""kakou's clients over TLS, against the local services and their test CA (``.ci/services.py``):
the edge's uplink and a stream worker on Kafka's SASL_SSL listener, the passage history as a
PostgreSQL role that may log in only over TLS and with its password, read from a file. A client
that does not trust the server's certificate, offers no TLS or the wrong password is refused,
and loses nothing; no password reaches a log."""
from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from stream.history import HistoryReader, PassageHistory

from .test_alerts import passage
from .test_secured_kafka import (SERVICES, no_password_in_logs, refused, sasl_settings,
                                 uplink_and_worker_match)

KAFKA_TLS = f"127.0.0.1:{SERVICES.KAFKA_SSL_PORT}"
CA = SERVICES.TLS / "ca.pem"


@pytest.fixture
def tls_env(kafka, tmp_path, monkeypatch) -> dict[str, str]:
    return sasl_settings("SASL_SSL", tmp_path, monkeypatch, KAKOU_KAFKA_CA_FILE=str(CA))


def test_the_uplink_and_a_worker_speak_tls_and_an_untrusted_server_is_refused(
        tls_env, redis_client, worker, checkpoint_id, tmp_path, monkeypatch):
    uplink_and_worker_match(KAFKA_TLS, tls_env, redis_client, checkpoint_id, tmp_path)
    monkeypatch.delenv("KAKOU_KAFKA_CA_FILE")      # the system's CAs do not know the test CA
    untrusting = refused(KAFKA_TLS, checkpoint_id, tmp_path)
    assert "is not trusted" in untrusting.status.last_error   # says why, at once
    no_password_in_logs(tmp_path)


@pytest.fixture
def secure_db(tmp_path, monkeypatch) -> str:
    """The TLS-only role's URL: no password in it; libpq reads it from ``PGPASSFILE``."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("PostgreSQL is external (DATABASE_URL set): no local TLS-only role")
    user, port = SERVICES.PG_SECURE_USER, SERVICES.PG_PORT
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{port}:{user}:{user}:{SERVICES.PG_SECURE_PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    url = f"postgresql://{user}@127.0.0.1:{port}/{user}"
    with psycopg.connect(f"{url}?sslmode=require", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS kept_passages, passages CASCADE")
    return url


def test_the_history_is_written_and_read_over_tls_with_a_password_from_a_file(secure_db):
    url = f"{secure_db}?sslmode=verify-full&sslrootcert={CA}"
    now = datetime.now(timezone.utc)
    seen = passage("tls-cp", "TLS0001")
    history = PassageHistory(url, timedelta(hours=2))

    async def write() -> list:
        try:
            return await history.record([seen], {}, now)
        finally:
            await history.close()
    assert [p.event_id for p in asyncio.run(write())] == [seen.event_id]
    found = HistoryReader(url).search(["TLS0001"], now - timedelta(hours=1),
                                      now + timedelta(hours=1))
    assert [r["event_id"] for r in found] == [seen.event_id]
    with psycopg.connect(url) as conn:
        version, = conn.execute("SELECT version FROM pg_stat_ssl "
                                "WHERE pid = pg_backend_pid()").fetchone()
    assert version.startswith("TLS")


@pytest.mark.parametrize("query, refusal", [
    ("sslmode=disable", "no encryption"),                    # the server refuses plain text
    (f"sslmode=verify-full&sslrootcert={Path(os.devnull)}", "certificate"),  # we refuse it
])
def test_the_history_refuses_or_is_refused_without_tls_it_trusts(secure_db, query, refusal):
    with pytest.raises(psycopg.OperationalError, match=refusal):
        psycopg.connect(f"{secure_db}?{query}", connect_timeout=5).close()


def test_a_wrong_password_is_refused(secure_db, tmp_path, monkeypatch):
    wrong = tmp_path / "wrong-pgpass"
    wrong.write_text("*:*:*:*:not-the-password\n")
    wrong.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(wrong))
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"{secure_db}?sslmode=require", connect_timeout=5).close()
