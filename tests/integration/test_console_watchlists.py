"""Watchlist management in the console, on the real Kafka topic and audit log: an upload is
checked line by line before anything is applied, entries are edited, expired, deleted with a
reason, and the list is exported, each step audited."""
from __future__ import annotations

import uuid

from stream.audit import AuditLog
from stream.console.accounts import Role

from .console_fixtures import logged_in

HEADER = "entry_id,list,plate,category,priority,disposal,reason,case_number\n"


def upload(client, csrf: str, text: str, name: str = "list.csv", reason: str = "new case"):
    return client.post("/watchlists/import", data={"csrf": csrf, "reason": reason,
                                                   "case_number": "JN-2026-77"},
                       files={"file": (name, text.encode("utf-8"), "text/csv")})


def test_an_upload_with_a_bad_line_is_reported_by_line_and_nothing_is_applied(console, users):
    client, csrf = logged_in(console, users[Role.SUPERVISOR])
    tag = uuid.uuid4().hex[:6]
    text = (HEADER + f"u-{tag}-1,stolen,鲁A{tag[:5].upper()},stolen vehicle,1,stop,,\n"
            f"u-{tag}-2,stolen,,stolen vehicle,1,stop,,\n"            # no plate: line 3
            f"u-{tag}-3,stolen,鲁B12345,stolen vehicle,9,stop,,\n")   # priority 9: line 4
    before = AuditLog(console.redis).head()[0]
    report = upload(client, csrf, text)
    assert report.status_code == 200 and "1 good lines, 2 bad lines" in report.text
    assert "<td>3</td>" in report.text and "<td>4</td>" in report.text
    assert "Apply" not in report.text
    ids = {e.entry_id for e in console.watchlists.entries()}
    assert not {f"u-{tag}-1", f"u-{tag}-2", f"u-{tag}-3"} & ids
    assert not [r for r in AuditLog(console.redis).records(before + 1)
                if r.action == "watchlist.import"]


def test_a_good_upload_is_applied_once_then_edited_expired_deleted_and_exported(console, users):
    client, csrf = logged_in(console, users[Role.SUPERVISOR])
    tag = uuid.uuid4().hex[:6]
    entry_id = f"g-{tag}"
    report = upload(client, csrf, "\ufeff" + HEADER +   # a spreadsheet's BOM is fine
                    f"{entry_id},wanted,鲁A{tag[:5].upper()},wanted,1,stop,,\n")
    assert "1 good lines, 0 bad lines" in report.text
    token = report.text.split('action="/watchlists/import/', 1)[1].split('"', 1)[0]
    other, other_csrf = logged_in(console, users["operator2"])
    assert other.post(f"/watchlists/import/{token}",
                      data={"csrf": other_csrf}).status_code == 403   # operators may not
    applied = client.post(f"/watchlists/import/{token}", data={"csrf": csrf})
    assert applied.status_code == 200 and "1 entries applied" in applied.text
    assert client.post(f"/watchlists/import/{token}",
                       data={"csrf": csrf}).status_code == 404        # applied once only
    assert console.watchlists.get(entry_id).list == "wanted"

    page = client.get(f"/watchlists/entries/{entry_id}")
    assert page.status_code == 200 and entry_id in page.text
    edit = {"csrf": csrf, "action": "update", "reason": "case update", "list": "wanted",
            "plate": f"鲁A{tag[:5].upper()}", "category": "wanted", "priority": "2",
            "disposal": "stop at distance"}
    unexplained = client.post(f"/watchlists/entries/{entry_id}", data={**edit, "reason": ""})
    assert unexplained.status_code == 422 and "reason" in unexplained.text
    assert client.post(f"/watchlists/entries/{entry_id}", data=edit).status_code == 303
    assert console.watchlists.get(entry_id).priority == 2
    assert client.post(f"/watchlists/entries/{entry_id}",
                       data={"csrf": csrf, "action": "expire",
                             "reason": "vehicle recovered"}).status_code == 303
    assert console.watchlists.get(entry_id).valid_until is not None

    exported = client.post("/watchlists/export", data={"csrf": csrf, "reason": "court request",
                                                       "case_number": "JN-2026-77"})
    assert exported.status_code == 200 and entry_id in exported.text
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert client.post(f"/watchlists/entries/{entry_id}",
                       data={"csrf": csrf, "action": "delete",
                             "reason": "entered in error"}).status_code == 303
    assert entry_id not in {e.entry_id for e in console.watchlists.entries()}
    actions = [(r.action, r.reason) for r in AuditLog(console.redis).records()
               if r.actor == users[Role.SUPERVISOR]]
    assert [a for a, _ in actions if a.startswith("watchlist.")] == [
        "watchlist.import", "watchlist.update", "watchlist.update", "watchlist.export",
        "watchlist.delete"]


def test_an_upload_that_is_not_utf8_or_not_a_csv_is_refused_clearly(console, users):
    client, csrf = logged_in(console, users[Role.SUPERVISOR])
    latin1 = client.post("/watchlists/import", data={"csrf": csrf, "reason": "x"},
                         files={"file": ("l.csv", "entry_id\n\xe9".encode("latin-1"),
                                         "text/csv")})
    assert latin1.status_code == 422 and "not UTF-8" in latin1.text
    headerless = upload(client, csrf, "just some text\n")
    assert headerless.status_code == 422 and "missing column" in headerless.text
