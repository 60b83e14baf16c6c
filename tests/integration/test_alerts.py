"""Alerts on the real worker: fuzzy hits explained, one alert per checkpoint visit, per-list policy."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from kafka import KafkaProducer

from checkpoint.wire.base import encode
from checkpoint.wire.edge import PlateAlternative, VehiclePassage
from checkpoint.wire.topics import PASSAGES
from stream import keys
from stream.watchlist_cli import main as watchlist_cli
from stream.wire import Alert, alert_id_for

from .conftest import stored
from .test_edge_outage import wait_for


def passage(checkpoint_id: str, plate: str, alternatives=()) -> VehiclePassage:
    now = datetime.now(timezone.utc)
    return VehiclePassage(checkpoint_id=checkpoint_id, lane="1", camera_id="c1", first_seen=now,
                          last_seen=now, plate=plate, plate_confidence=0.9, dwell_seconds=1.0,
                          alternatives=[PlateAlternative(text=t, confidence=0.1) for t in alternatives])


def send(kafka: str, *passages: VehiclePassage) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all")
    for p in passages:
        producer.send(PASSAGES.name, key=p.checkpoint_id.encode(), value=encode(p)).get(timeout=30)
    producer.close()


def processed(*passages: VehiclePassage) -> bool:
    return len(stored(*(p.event_id for p in passages))) == len({p.event_id for p in passages})


def stored_alert(redis_client, entry_id: str, p: VehiclePassage) -> Alert | None:
    body = redis_client.get(keys.ALERT_KEY.format(alert_id=alert_id_for(entry_id, p.event_id)))
    return Alert.model_validate_json(body) if body else None


def test_a_vehicle_seen_again_at_the_same_checkpoint_is_one_alert(kafka, redis_client, worker,
                                                                   checkpoint_id):
    first, again = passage(checkpoint_id, "KA482BC"), passage(checkpoint_id, "KA482BC")
    elsewhere = passage(f"{checkpoint_id}-b", "KA482BC")
    send(kafka, first)
    wait_for("the first passage", lambda: processed(first), 60)
    send(kafka, again, elsewhere, first)  # first again: a replayed duplicate
    wait_for("the other passages", lambda: processed(again, elsewhere), 60)
    assert stored_alert(redis_client, "demo-stolen-001", first) is not None
    assert stored_alert(redis_client, "demo-stolen-001", again) is None
    assert stored_alert(redis_client, "demo-stolen-001", elsewhere) is not None
    attached = redis_client.smembers(keys.ALERT_PASSAGES.format(
        alert_id=alert_id_for("demo-stolen-001", first.event_id)))
    assert attached == {again.event_id}


def test_fuzzy_hits_are_explained_and_strict_lists_stay_exact(kafka, redis_client, worker,
                                                              checkpoint_id):
    misread = passage(checkpoint_id, "KA4B2BC")                     # 8 read as B: stolen list
    via_alternative = passage(f"{checkpoint_id}-2", "XX000XX", ["WX963LA"])
    strict = passage(f"{checkpoint_id}-3", "GD3TTRN")  # 7 read as T, but control-orders is exact-only
    send(kafka, misread, via_alternative, strict)
    wait_for("the passages", lambda: processed(misread, via_alternative, strict), 60)
    fuzzy = stored_alert(redis_client, "demo-stolen-001", misread)
    assert fuzzy.match.type == "fuzzy" and fuzzy.match.differing_positions == [3]
    assert fuzzy.match.read == "KA4B2BC" and fuzzy.plate == "KA4B2BC"
    alt = stored_alert(redis_client, "demo-wanted-003", via_alternative)
    assert (alt.match.type, alt.match.read_source, alt.match.read) == \
        ("exact", "alternative", "WX963LA")
    assert stored_alert(redis_client, "demo-control-002", strict) is None


def test_an_unacknowledged_alert_is_escalated_once(kafka, redis_client, worker, checkpoint_id,
                                                   tmp_path):
    plate = "ES" + checkpoint_id[-5:].upper().replace("-", "7") + "9"
    csv_path = tmp_path / "p5.csv"
    csv_path.write_text("entry_id,list,plate,category,priority,disposal\n"
                        f"{checkpoint_id}-p5,traffic,{plate},unpaid fines,5,note and let pass\n")
    assert watchlist_cli(["import", str(csv_path), "--created-by", "pytest"]) == 0
    time.sleep(2)  # the worker follows the watchlist topic live
    p = passage(checkpoint_id, plate)
    send(kafka, p)
    alert_key = keys.ALERT_KEY.format(alert_id=alert_id_for(f"{checkpoint_id}-p5", p.event_id))
    escalated = wait_for("the escalation", lambda: (body := redis_client.get(alert_key)) and (
        a := Alert.model_validate_json(body)).history and a, 30, 0.5)
    (action,) = escalated.history
    assert action.what == "escalated" and "priority 5" in action.note
    assert escalated.state == "new"
    time.sleep(2)
    assert len(Alert.model_validate_json(redis_client.get(alert_key)).history) == 1  # once only
    assert redis_client.zscore(keys.ESCALATE_AT, escalated.alert_id) is None


def test_a_watched_plate_leaves_an_ordered_trace_and_others_leave_none(kafka, redis_client,
                                                                      worker, checkpoint_id,
                                                                      capsys):
    from stream.trace_cli import main as trace_cli
    from stream.trace_cli import read_trace

    before = {s["passage_id"] for s in read_trace(redis_client, "WX963LA")}
    route = [passage(f"{checkpoint_id}-{n}", "WX963LA") for n in ("north", "ring", "east")]
    misread = passage(f"{checkpoint_id}-west", "WX96ELA")  # not a confusion: no match, no trace
    for p in route:
        send(kafka, p)  # in the order the vehicle passed
    send(kafka, misread, route[0])  # and a replay of the first
    wait_for("the passages", lambda: processed(*route, misread), 60)
    trace = [s for s in read_trace(redis_client, "wx 963 la") if s["passage_id"] not in before]
    assert [s["checkpoint_id"] for s in trace] == [p.checkpoint_id for p in route]
    assert read_trace(redis_client, "WX96ELA") == []
    assert 0 < redis_client.ttl(keys.TRACE.format(plate="WX963LA")) <= keys.TRACE_WINDOW_S
    # kakou-trace prints the same trace, for an operator or a script
    assert trace_cli(["wx-963-la", "--json"]) == 0
    printed = [s for s in json.loads(capsys.readouterr().out) if s["passage_id"] not in before]
    assert printed == trace
    assert trace_cli(["WX96ELA"]) == 0 and "no trace of WX96ELA" in capsys.readouterr().out
