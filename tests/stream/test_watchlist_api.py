"""WatchlistService with in-memory fakes: every change is audited before it is published, and
every refusal names the field or entry, so the console and the CLI can show it as is."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pytest

from checkpoint.wire.pseudonym import PseudonymKey, subject_tag
from stream.audit import GENESIS, AuditError, AuditRecord, next_record, verify_chain
from stream.watchlist import parse_csv
from stream.watchlist_api import (Change, DuplicateEntryError, PublishError, UnknownEntryError,
                                  WatchlistError, WatchlistService, WatchlistSnapshot)
from stream.wire import WatchlistEntry

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
STOLEN = {"entry_id": "e1", "list": "stolen", "plate": "ka 482-bc", "category": "stolen",
          "priority": 2, "disposal": "stop"}


class FakeTopic:
    """The compacted topic as a dict; ``events`` interleaves with the audit's, in call order."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.latest: dict[str, WatchlistEntry | None] = {}
        self.unreadable: list[str] = []
        self.events = events
        self.fail = False

    def read(self) -> WatchlistSnapshot:
        return WatchlistSnapshot({k: v for k, v in self.latest.items() if v is not None},
                                 list(self.unreadable))

    def publish(self, changes: Sequence[Change]) -> None:
        if self.fail:
            raise PublishError("kakou.watchlist did not acknowledge the change: timeout")
        self.events.append(("publish", list(changes)))
        self.latest.update(changes)


class FakeAudit:
    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.records: list[AuditRecord] = []
        self.events = events
        self.fail = False

    def append(self, actor: str, action: str, target: str, *, reason: str,
               case_number: str | None = None,
               details: Mapping[str, Any] | None = None) -> AuditRecord:
        if self.fail:
            raise AuditError("audit log unavailable: connection refused")
        prev = self.records[-1] if self.records else None
        record = next_record(prev.seq if prev else 0, prev.hash if prev else GENESIS, time=T0,
                             actor=actor, action=action, target=target, reason=reason,
                             case_number=case_number, details=details)
        self.records.append(record)
        self.events.append(("audit", record.action))
        return record


@pytest.fixture
def events() -> list[tuple[str, Any]]:
    return []


@pytest.fixture
def topic(events) -> FakeTopic:
    return FakeTopic(events)


@pytest.fixture
def audit(events) -> FakeAudit:
    return FakeAudit(events)


@pytest.fixture
def service(topic, audit) -> WatchlistService:
    return WatchlistService(topic, audit)


def kinds(events: list[tuple[str, Any]]) -> list[str]:
    return [kind for kind, _ in events]


def test_create_is_audited_then_published_and_normalised_like_an_import(service, topic, audit,
                                                                        events):
    entry = service.create(STOLEN, actor="li", reason="stolen report", case_number="C-7")
    assert (entry.plate, entry.priority, entry.created_by) == ("KA482BC", 2, "li")
    assert kinds(events) == ["audit", "publish"]
    assert topic.latest == {"e1": entry}
    record = audit.records[0]
    assert (record.action, record.target, record.actor, record.reason, record.case_number) == \
        ("watchlist.create", "e1", "li", "stolen report", "C-7")
    assert record.details["entry"]["plate"] == "KA482BC"
    assert service.get("e1") == entry


def test_update_merges_revalidates_and_audits_what_changed(service, topic, audit, events):
    created = service.create(STOLEN, actor="li", reason="r")
    updated = service.update("e1", {"priority": "1", "plate": "", "pattern": "KA*",
                                    "valid_until": "2030-01-01T00:00:00Z"},
                             actor="wang", reason="wider search", case_number="C-8")
    assert (updated.plate, updated.pattern, updated.priority) == (None, "KA*", 1)
    assert updated.valid_until == datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert updated.created_by == "li"  # the creator stays; the audit log says who changed it
    assert updated.event_id != created.event_id
    assert kinds(events) == ["audit", "publish", "audit", "publish"]
    record = audit.records[1]
    assert (record.action, record.actor, record.case_number) == ("watchlist.update", "wang", "C-8")
    assert record.details["changed"]["priority"] == {"before": 2, "after": 1}
    assert record.details["changed"]["plate"] == {"before": "KA482BC", "after": None}
    assert set(record.details["changed"]) == {"priority", "plate", "pattern", "valid_until"}
    assert topic.latest["e1"] == updated


def test_delete_publishes_a_tombstone_after_auditing_the_entry(service, topic, audit, events):
    service.create(STOLEN, actor="li", reason="r")
    service.delete("e1", actor="li", reason="vehicle recovered")
    assert kinds(events) == ["audit", "publish", "audit", "publish"]
    assert events[-1] == ("publish", [("e1", None)])
    assert audit.records[1].action == "watchlist.delete"
    assert audit.records[1].details["entry"]["plate"] == "KA482BC"
    assert service.entries() == []
    with pytest.raises(UnknownEntryError, match="'e1': not on the watchlist"):
        service.get("e1")


def test_delete_clears_a_key_whose_message_is_unreadable(service, topic, audit):
    topic.unreadable.append("broken")
    service.delete("broken", actor="li", reason="clean up a bad message")
    assert topic.latest == {"broken": None}
    assert audit.records[0].details == {"entry": None}


def test_import_publishes_good_lines_under_one_audit_record(service, topic, audit, events):
    text = ("entry_id,list,plate,category,priority,disposal\n"
            "a,stolen,AB123CD,stolen,1,stop\n"
            "b,stolen,AB123CD,stolen,9,stop\n"
            "c,stolen,XY987ZW,stolen,2,stop\n")
    result = service.import_csv(text, actor="li", reason="import of list.csv", source="list.csv")
    assert [e.entry_id for e in result.entries] == ["a", "c"]
    assert [r.line for r in result.rejected] == [3]
    assert kinds(events) == ["audit", "publish"]
    assert sorted(topic.latest) == ["a", "c"]
    record = audit.records[0]
    assert (record.action, record.target) == ("watchlist.import", "list.csv")
    assert {k: v for k, v in record.details.items() if k != "entries_sha256"} == \
        {"accepted": 2, "rejected": 1, "entry_ids": ["a", "c"]}


def test_a_dry_run_or_an_all_bad_import_changes_nothing(service, events):
    good = "entry_id,list,plate,category,priority,disposal\na,stolen,AB123CD,stolen,1,stop\n"
    assert len(service.import_csv(good, actor="li", reason="r", dry_run=True).entries) == 1
    bad = "entry_id,list,plate,category,priority,disposal\na,stolen,AB123CD,stolen,0,stop\n"
    assert len(service.import_csv(bad, actor="li", reason="r").rejected) == 1
    assert events == []


def test_export_is_the_import_format(service):
    service.create(STOLEN, actor="li", reason="r")
    export = service.export_csv()
    assert (export.count, export.unreadable) == (1, 0)
    assert [e.plate for e in parse_csv(export.text, created_by="t").entries] == ["KA482BC"]


@pytest.mark.parametrize("fields, message", [
    ({**STOLEN, "priority": 9}, r"^priority: Input should be less than or equal to 5"),
    ({**STOLEN, "plate": "---"}, r"plate '---' has no letters or digits"),
    ({**STOLEN, "plate": None, "pattern": "KA(4"}, r"pattern 'KA\(4' is neither"),
    ({**STOLEN, "plate": None}, r"exactly one of plate, pattern or subject_tag"),
    ({**STOLEN, "disposal": ""}, r"^disposal: Field required"),
    ({**STOLEN, "valid_from": "yesterday"}, r"^valid_from: Input should be a valid datetime"),
    ({**STOLEN, "plat": "AB1"}, r"^plat: unknown field"),
    ({**STOLEN, "created_by": "someone"}, r"^created_by: unknown field"),
])
def test_bad_fields_are_refused_naming_the_field(service, events, fields, message):
    with pytest.raises(WatchlistError, match=message):
        service.create(fields, actor="li", reason="r")
    assert events == []


def test_refusals_for_ids_reasons_and_no_op_updates(service, events):
    service.create(STOLEN, actor="li", reason="r")
    events.clear()
    with pytest.raises(DuplicateEntryError, match="'e1': exists already"):
        service.create(STOLEN, actor="li", reason="r")
    with pytest.raises(UnknownEntryError, match="'nope': not on the watchlist"):
        service.update("nope", {"priority": 1}, actor="li", reason="r")
    with pytest.raises(UnknownEntryError, match="'nope'"):
        service.delete("nope", actor="li", reason="r")
    with pytest.raises(WatchlistError, match="^entry_id: cannot be changed"):
        service.update("e1", {"entry_id": "e2"}, actor="li", reason="r")
    with pytest.raises(WatchlistError, match="^priority: "):
        service.update("e1", {"priority": 0}, actor="li", reason="r")
    with pytest.raises(WatchlistError, match="no field changed"):
        service.update("e1", {"priority": 2, "plate": "KA482BC"}, actor="li", reason="r")
    with pytest.raises(WatchlistError, match="^reason: required"):
        service.delete("e1", actor="li", reason="  ")
    with pytest.raises(WatchlistError, match="^actor: required"):
        service.update("e1", {"priority": 1}, actor="", reason="r")
    assert events == []


def test_when_the_audit_log_fails_nothing_is_published(service, topic, audit, events):
    audit.fail = True
    with pytest.raises(WatchlistError, match="audit log unavailable.*nothing was published"):
        service.create(STOLEN, actor="li", reason="r")
    text = "entry_id,list,plate,category,priority,disposal\na,stolen,AB123CD,stolen,1,stop\n"
    with pytest.raises(WatchlistError, match="nothing was published"):
        service.import_csv(text, actor="li", reason="r")
    assert events == [] and topic.latest == {}


def test_an_unacknowledged_publish_raises_and_is_audited_as_failed(service, topic, audit):
    topic.fail = True
    with pytest.raises(PublishError, match=r"did not acknowledge.*audit seq 1; "
                                           r"failure audited as seq 2"):
        service.create(STOLEN, actor="li", reason="r", case_number="C-1")
    failed = audit.records[1]
    assert (failed.action, failed.target, failed.actor, failed.case_number) == \
        ("watchlist.publish-failed", "e1", "li", "C-1")
    assert failed.details["seq"] == 1
    assert verify_chain(audit.records) == []


def test_person_entries_take_a_document_number_and_keep_only_its_tag(service, topic, audit,
                                                                     monkeypatch):
    monkeypatch.setenv("KAKOU_ID_KEY_ID", "k9")
    monkeypatch.setenv("KAKOU_ID_KEY", "test-secret-0123456789")
    monkeypatch.delenv("KAKOU_ID_KEY_FILE", raising=False)
    fields = {"entry_id": "p1", "list": "persons", "document_type": "icao-td3",
              "document_number": "L898902C3", "category": "wanted", "priority": 1,
              "disposal": "detain"}
    entry = service.create(fields, actor="li", reason="warrant", case_number="C-9")
    assert entry.subject_tag == subject_tag("icao-td3", "L898902C3",
                                            PseudonymKey("k9", b"test-secret-0123456789"))
    assert "L898902C3" not in audit.records[0].model_dump_json()
    assert "L898902C3" not in repr(topic.latest)


def test_a_big_import_is_audited_by_a_digest_not_a_list_of_ids(monkeypatch):
    from stream import watchlist_api

    monkeypatch.setattr(watchlist_api, "AUDIT_MAX_IDS", 1)
    text = "entry_id,list,plate,category,priority,disposal\na,s,KA1,c,1,stop\nb,s,KA2,c,1,stop\n"
    details = [watchlist_api._import_details(watchlist_api.parse_csv(text, created_by="t"))
               for _ in range(2)]
    assert "entry_ids" not in details[0] and details[0]["accepted"] == 2
    assert details[0]["entries_sha256"] == details[1]["entries_sha256"]  # same file, same digest
    other = watchlist_api._import_details(watchlist_api.parse_csv(text.replace("KA2", "KA3"),
                                                                  created_by="t"))
    assert other["entries_sha256"] != details[0]["entries_sha256"]
