"""The watchlist API on the real broker and Redis: changes reach the compacted topic (a fresh
reader and the export see them), each is audited, and the audit chain holds under concurrent
writers and shows tampering. Entry ids and private audit keys are unique per test, and the shared
audit log is never assumed empty: its whole chain must verify, and our records must be in it."""
from __future__ import annotations

import json
import threading
import uuid

import pytest

from stream.audit import AuditError, AuditLog
from stream.audit_cli import main as audit_cli
from stream.watchlist import parse_csv
from stream.watchlist_api import UnknownEntryError, WatchlistService, WatchlistTopic
from stream.watchlist_cli import main as watchlist_cli


@pytest.fixture
def topic(kafka):
    topic = WatchlistTopic(kafka)
    yield topic
    topic.close()


@pytest.fixture
def private_keys(redis_client):
    """Keys for an audit log of its own, so a test may append freely and tamper with it."""
    key = f"kakou:test:audit:{uuid.uuid4().hex}"
    yield {"log_key": key, "head_key": f"{key}:head"}
    redis_client.delete(key, f"{key}:head")


def exported(service: WatchlistService) -> dict[str, object]:
    return {e.entry_id: e for e in parse_csv(service.export_csv().text, created_by="t").entries}


def test_create_update_delete_reach_the_topic_and_the_audit_log(kafka, redis_client, topic):
    log = AuditLog(redis_client)
    service = WatchlistService(topic, log)
    entry_id = f"it-{uuid.uuid4().hex}"
    start, _ = log.head()

    service.create({"entry_id": entry_id, "list": "stolen", "plate": "ab 123 cd",
                    "category": "stolen", "priority": 2, "disposal": "stop"},
                   actor="pytest", reason="integration test", case_number="IT-1")
    assert WatchlistTopic(kafka).read().entries[entry_id].plate == "AB123CD"  # another reader
    service.update(entry_id, {"priority": 1, "disposal": "stop and check"}, actor="pytest",
                   reason="upgraded", case_number="IT-1")
    assert (exported(service)[entry_id].priority, exported(service)[entry_id].disposal) == \
        (1, "stop and check")
    service.delete(entry_id, actor="pytest", reason="recovered", case_number="IT-1")
    assert entry_id not in WatchlistTopic(kafka).read().entries
    assert entry_id not in exported(service)
    with pytest.raises(UnknownEntryError):
        service.get(entry_id)

    mine = [r for r in log.records(start + 1) if r.target == entry_id]
    assert [(r.action, r.reason, r.case_number) for r in mine] == [
        ("watchlist.create", "integration test", "IT-1"),
        ("watchlist.update", "upgraded", "IT-1"),
        ("watchlist.delete", "recovered", "IT-1")]
    assert mine[1].details["changed"]["priority"] == {"before": 2, "after": 1}
    assert log.verify() == []


def test_the_cli_sets_shows_and_deletes_through_the_audited_api(kafka, capsys):
    entry_id = f"it-{uuid.uuid4().hex}"
    who = ["--actor", "pytest", "--reason", "cli test", "--case-number", "IT-2"]
    assert watchlist_cli(["set", entry_id, "list=stolen", "pattern=KA*", "category=stolen",
                          "priority=3", "disposal==stop", *who]) == 0
    assert watchlist_cli(["set", entry_id, "priority=0", "--update", *who]) == 2
    assert "priority: Input should be greater than or equal to 1" in capsys.readouterr().err
    assert watchlist_cli(["set", entry_id, "priority=1", "--update", *who]) == 0
    capsys.readouterr()
    assert watchlist_cli(["show", entry_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["pattern"], shown["priority"], shown["disposal"], shown["created_by"]) == \
        ("KA*", 1, "=stop", "pytest")
    assert watchlist_cli(["delete", entry_id, *who]) == 0
    assert watchlist_cli(["show", entry_id]) == 2
    assert "not on the watchlist" in capsys.readouterr().err
    capsys.readouterr()
    assert audit_cli(["show", "--limit", "50", "--json"]) == 0
    recent = [r for r in json.loads(capsys.readouterr().out) if r["target"] == entry_id]
    assert [(r["action"], r["actor"], r["case_number"]) for r in recent] == [
        ("watchlist.create", "pytest", "IT-2"), ("watchlist.update", "pytest", "IT-2"),
        ("watchlist.delete", "pytest", "IT-2")]
    assert audit_cli(["verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_concurrent_appenders_extend_one_unbroken_chain(private_keys, redis_client):
    def append(actor: str) -> None:
        log = AuditLog(redis_client, **private_keys)  # one per console replica
        for i in range(25):
            log.append(actor, "search", f"plate-{i}", reason="race", case_number="IT-3")

    threads = [threading.Thread(target=append, args=(f"console-{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = AuditLog(redis_client, **private_keys)
    records = log.records()
    assert [r.seq for r in records] == list(range(1, 51))
    assert sorted({r.actor for r in records}) == ["console-0", "console-1"]
    assert log.verify() == []


def test_tampering_with_stored_records_is_detected(private_keys, redis_client):
    log = AuditLog(redis_client, **private_keys)
    for i in range(5):
        log.append("pytest", "watchlist.update", f"e{i}", reason=f"change {i}")
    key = private_keys["log_key"]
    stored = redis_client.xrange(key)
    redis_client.delete(key)  # rewrite the stream as an intruder would, record 3 altered
    for stream_id, fields in stored:
        record = json.loads(fields["record"])
        if record["seq"] == 3:
            record["reason"] = "nothing to see"
        redis_client.xadd(key, {"record": json.dumps(record)}, id=stream_id)
    assert log.verify() == ["seq 3: hash mismatch (the record was altered)"]

    redis_client.xdel(key, "2-0")
    assert "seq 3: expected seq 2 (a record is missing, inserted or out of order)" in \
        log.verify()
    redis_client.xdel(key, "5-0")
    assert log.verify()[-1].startswith("head says seq 5 but the log ends at seq 4")
    with pytest.raises(AuditError, match="head and log disagree"):  # never extend a broken chain
        log.append("pytest", "login", "", reason="")
