"""The passage history on the real PostgreSQL: written once by the worker, searched and traced
by the console with every search audited, and forgotten on time by whole partitions."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from checkpoint.wire.edge import VehiclePassage
from stream.audit import AuditLog
from stream.console.accounts import Role
from stream.history import HistoryReader, Kept, PassageHistory, partition_name, hour_of
from stream.settings import database_url

from .console_fixtures import logged_in
from .test_alerts import passage, processed, send
from .test_edge_outage import wait_for


def history_rows_of(event_ids: list[str]) -> dict[str, int]:
    """event id -> how many history rows it has (only ids with rows)."""
    with psycopg.connect(database_url()) as conn:
        return dict(conn.execute("SELECT event_id, count(*) FROM passages WHERE event_id = "
                                 "ANY(%s) GROUP BY event_id", (event_ids,)).fetchall())


def rows_of(event_id: str) -> int:
    with psycopg.connect(database_url()) as conn:
        return conn.execute("SELECT count(*) FROM passages WHERE event_id = %s",
                            (event_id,)).fetchone()[0]


def test_the_worker_writes_each_passage_once_and_keeps_hits(kafka, redis_client, worker,
                                                            checkpoint_id):
    hit, other = passage(checkpoint_id, "KA482BC"), passage(checkpoint_id, "ZZ12345")
    send(kafka, hit, other, hit, other)            # each sent twice: a replay after a crash
    wait_for("the passages", lambda: processed(hit, other), 60)
    wait_for("the history rows", lambda: rows_of(hit.event_id) and rows_of(other.event_id), 30)
    assert rows_of(hit.event_id) == 1 and rows_of(other.event_id) == 1
    with psycopg.connect(database_url()) as conn:
        kept = conn.execute("SELECT lists, keep_until FROM kept_passages WHERE event_id = %s",
                            (hit.event_id,)).fetchone()
        assert conn.execute("SELECT count(*) FROM kept_passages WHERE event_id = %s",
                            (other.event_id,)).fetchone()[0] == 0
    assert kept[0] == ["stolen"] and kept[1] > hit.last_seen + timedelta(days=300)


def search_form(csrf: str, plate: str, **extra) -> dict:
    now = datetime.now(timezone.utc)
    return {"csrf": csrf, "plate": plate, "reason": "stolen vehicle enquiry",
            "case_number": "JN-2026-1201-09",
            "since": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "until": (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"), **extra}


def test_a_search_needs_a_reason_and_is_audited_with_its_result_count(
        kafka, redis_client, worker, checkpoint_id, console, users):
    tag = uuid.uuid4().hex[:5].upper()
    plates = [f"Q{tag}1", f"Q{tag}2", f"X{tag}1"]
    sent = [passage(checkpoint_id, p) for p in plates]
    send(kafka, *sent)
    wait_for("the history rows", lambda: all(rows_of(p.event_id) for p in sent), 60)
    client, csrf = logged_in(console, users[Role.OPERATOR])

    refused = client.post("/search", data={**search_form(csrf, f"Q{tag}*"), "reason": ""})
    assert refused.status_code == 422 and "reason" in refused.text
    before = AuditLog(console.redis).head()[0]
    assert before == AuditLog(console.redis).head()[0]

    found = client.post("/search", data=search_form(csrf, f"Q{tag}*"))
    assert found.status_code == 200 and "2 passages" in found.text
    one_wrong = client.post("/search", data=search_form(csrf, f"Q{tag}1", one_wrong="on"))
    assert "3 passages" in one_wrong.text             # Q..1, Q..2 and X..1 are one away
    single = client.post("/search", data=search_form(csrf, f"?{tag}1",
                                                     checkpoint_id=checkpoint_id))
    assert "2 passages" in single.text
    audited = [r for r in AuditLog(console.redis).records(before + 1)
               if r.actor == users[Role.OPERATOR] and r.action == "search"]
    assert [(r.target, r.details["results"]) for r in audited] == [
        (f"Q{tag}*", 2), (f"Q{tag}1", 3), (f"?{tag}1", 2)]
    assert all(r.reason == "stolen vehicle enquiry" and r.case_number == "JN-2026-1201-09"
               for r in audited)
    assert client.post("/search", data=search_form(csrf, "**")).status_code == 422


def test_a_trace_lists_the_checkpoints_in_time_order_with_the_time_between(
        kafka, redis_client, worker, console, users):
    plate = "T" + uuid.uuid4().hex[:6].upper()
    now = datetime.now(timezone.utc)
    stops = [passage("demo-jinan-01", plate), passage("jinan-g220-east", plate)]
    stops = [s.model_copy(update={"first_seen": now - timedelta(minutes=m),
                                  "last_seen": now - timedelta(minutes=m)})
             for s, m in zip(stops, (30, 5))]
    send(kafka, *stops)
    wait_for("the history rows", lambda: all(rows_of(p.event_id) for p in stops), 60)
    client, csrf = logged_in(console, users[Role.OPERATOR])
    page = client.post("/trace", data=search_form(csrf, plate))
    assert page.status_code == 200 and f"{plate}: 2 passages" in page.text
    table = page.text.split('<table class="trace">', 1)[1]
    assert table.index("G104 north exit") < table.index("G220 east")
    assert "25 min 00 s" in page.text and page.text.count('class="stop"') == 2
    assert client.post("/trace", data=search_form(csrf, plate + "*")).status_code == 422


@pytest.fixture
def scratch_db():
    """A database of its own, so dropping partitions touches nobody else's rows."""
    name = f"kakou_retention_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = database_url().rsplit("/", 1)[0] + "/" + name
    yield url
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def aged(plate: str, hours: float) -> VehiclePassage:
    p = passage("retention-cp", plate)
    when = p.last_seen - timedelta(hours=hours)
    return p.model_copy(update={"first_seen": when, "last_seen": when})


def test_retention_drops_whole_partitions_keeps_hits_by_policy_and_honours_holds(scratch_db):
    now = datetime.now(timezone.utc)
    history = PassageHistory(scratch_db, timedelta(hours=3))
    old, held, expired_hit, recent = (aged("OLD0001", 5), aged("HELD001", 5),
                                      aged("GONE001", 5), aged("NEW0001", 0.5))
    kept = {held.event_id: Kept(("wanted",), now - timedelta(hours=1)),
            expired_hit.event_id: Kept(("stolen",), now - timedelta(hours=1))}

    async def run():
        # written while they were fresh (the window is measured from when they are written)
        assert len(await history.record([old, held, expired_hit], kept,
                                        now - timedelta(hours=4))) == 3
        assert len(await history.record([recent], {}, now)) == 1
        with psycopg.connect(scratch_db, autocommit=True) as conn:
            conn.execute("UPDATE kept_passages SET legal_hold = 'court order 2026-17' "
                         "WHERE event_id = %s", (held.event_id,))
        dropped = await history.drop_expired(now)
        await history.close()
        return dropped
    dropped = asyncio.run(run())
    assert dropped == [partition_name(hour_of(old.last_seen))]
    reader = HistoryReader(scratch_db)
    everything = reader.search(["%"], now - timedelta(days=1), now + timedelta(hours=1))
    assert {r["plate"] for r in everything} == {"HELD001", "NEW0001"}
    held_row = next(r for r in everything if r["plate"] == "HELD001")
    assert held_row["hit"] is True


def test_a_passage_past_the_window_is_not_written(scratch_db):
    history = PassageHistory(scratch_db, timedelta(hours=1))
    stale = aged("STALE01", 2)

    async def run():
        written = await history.record([stale], {}, datetime.now(timezone.utc))
        await history.close()
        return written
    assert asyncio.run(run()) == []
