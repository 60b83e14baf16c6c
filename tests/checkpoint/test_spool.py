from checkpoint.spool import Spool


def test_events_come_out_in_order_and_leave_only_when_removed(tmp_path):
    spool = Spool(tmp_path / "s.sqlite")
    seqs = [spool.put("t", f"k{i}".encode(), f"v{i}".encode()) for i in range(5)]
    assert spool.depth() == 5
    first = spool.peek(3)
    assert [e.value for e in first] == [b"v0", b"v1", b"v2"]
    spool.remove([e.seq for e in first])
    assert [e.seq for e in spool.peek()] == seqs[3:]
    assert spool.depth() == 2


def test_spool_survives_a_restart(tmp_path):
    path = tmp_path / "s.sqlite"
    spool = Spool(path)
    spool.put("kakou.passages", b"cp", b"{}")
    spool.put("kakou.heartbeats", None, b"{}")
    spool.close()
    reopened = Spool(path)
    events = reopened.peek()
    assert [(e.topic, e.key) for e in events] == [("kakou.passages", b"cp"), ("kakou.heartbeats", None)]
    assert reopened.put("t", None, b"x") > events[-1].seq  # never re-uses a sequence number
