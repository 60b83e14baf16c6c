"""A second stream worker joins under load and leaves again (two rebalances): no alert lost or
raised twice, and the history, flow counts and traces agree with the passages sent."""
from __future__ import annotations

import json
import threading
import time

from stream import keys
from stream.lab.worker import WorkerProcess
from stream.wire import alert_id_for

from .test_alerts import passage, processed, send
from .test_edge_outage import wait_for
from .test_history import history_rows_of
from .test_worker_crash import HITS, raise_events


def test_a_worker_joining_and_leaving_under_load_loses_and_doubles_nothing(
        kafka, redis_client, worker, checkpoint_id, tmp_path, figure):
    passages = [passage(f"{checkpoint_id}-{i}", list(HITS)[i % 2] if i % 3 == 0 else f"RB{i:04d}X")
                for i in range(300)]
    sender = threading.Thread(target=lambda: [
        (send(kafka, *passages[i:i + 10]), time.sleep(0.15)) for i in range(0, len(passages), 10)])
    second = WorkerProcess(tmp_path / "second.log", env=worker.env)
    sender.start()
    try:
        time.sleep(1.0)
        second.start()                                  # joins: the partitions are shared out
        wait_for("the second worker to take part", lambda: "Assigned" in (
            tmp_path / "second.log").read_text(errors="replace") or not sender.is_alive(), 60)
        time.sleep(2.0)
        second.stop()                                   # leaves: its partitions come back
    finally:
        sender.join()
        second.stop()
    wait_for("every passage", lambda: processed(*passages), 180, 1)

    expected = {alert_id_for(HITS[p.plate], p.event_id) for p in passages if p.plate in HITS}
    raised = wait_for("every raise on kakou.alerts", lambda: (r := raise_events(kafka, expected))
                      and set(r) == expected and r, 60, 1)
    assert all(events == {alert_id} for alert_id, events in raised.items())
    rows = history_rows_of([p.event_id for p in passages])
    assert rows == {p.event_id: 1 for p in passages}                 # the history: each once
    for p in passages:                                              # flow: each counted once
        stats = redis_client.hgetall(keys.CHECKPOINT_STATS.format(checkpoint_id=p.checkpoint_id))
        assert int(stats["passages"]) == 1
    for plate in HITS:                                              # traces: each hit once
        stops = [json.loads(m)["passage_id"] for m in
                 redis_client.zrange(keys.TRACE.format(plate=plate), 0, -1)]
        ours = [s for s in stops if s in {p.event_id for p in passages}]
        assert sorted(ours) == sorted(p.event_id for p in passages if p.plate == plate)
    figure(f"a second worker joined and left under load ({len(passages)} passages): alerts "
           f"{len(expected)}, lost 0, raised twice 0; history, flow and traces each once")
