"""ID checks → person-list alerts, matched on the subject tag under its key id only."""
import asyncio
from datetime import datetime, timezone

from checkpoint.wire.edge import IdCheck
from stream.agents.idchecks import handle_idcheck
from stream.wire import WatchlistEntry
from tests.stream.fakes import runtime

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
TAG = "ab" * 16
LISTED = WatchlistEntry(entry_id="p1", list="control-orders", subject_tag=TAG, key_id="k1",
                        category="control order", priority=2, disposal="verify", created_by="t")


def check(tag: str = TAG, key_id: str = "k1") -> IdCheck:
    return IdCheck(checkpoint_id="cp", lane="1", time=T0, document_type="cn-resident-id",
                   verdict="valid", subject_tag=tag, key_id=key_id)


def test_a_listed_tag_alerts_and_every_check_is_counted_once():
    rt = runtime(entries=[LISTED])
    hit = check()
    asyncio.run(handle_idcheck(rt, hit))
    asyncio.run(handle_idcheck(rt, hit))    # redelivered
    (alert,) = rt.outbox.alerts
    assert alert.idcheck_id == hit.event_id and alert.plate is None
    assert rt.state.stats["cp:idchecks_valid"] == 1


def test_the_same_tag_under_another_key_is_another_person():
    rt = runtime(entries=[LISTED])
    asyncio.run(handle_idcheck(rt, check(key_id="k2")))
    asyncio.run(handle_idcheck(rt, check(tag="cd" * 16)))
    assert rt.outbox.alerts == [] and rt.state.stats["cp:idchecks_valid"] == 2
