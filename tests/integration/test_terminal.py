"""The terminal API of a running box (``checkpoint run --until-stopped``, its own process) on the
real Kafka, Redis and stream worker: a valid, an expired and a forged document, the IdCheck on
Kafka with its tag and no number, a person on a list raising a stream alert with the list's
disposal, bad requests refused and counted in the heartbeat, and afterwards no event, log line
or file on the box holding a document number, a name or a photo."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import cv2
import numpy as np
import yaml
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from checkpoint.lab.documents import Document, draw_document, make_mrz, photograph
from checkpoint.lab.sampleclip import render_clip
from checkpoint.terminal import token_hash
from checkpoint.wire.base import encode
from checkpoint.wire.edge import DocumentType, Heartbeat, IdCheck, Verdict, VehiclePassage
from checkpoint.wire.pseudonym import PseudonymKey, subject_tag
from checkpoint.wire.topics import HEARTBEATS, IDCHECKS, PASSAGES, WATCHLIST
from stream import keys
from stream.wire import Alert, WatchlistEntry, alert_id_for

from ..checkpoint.test_terminal import free_port
from .conftest import ROOT
from .test_edge_outage import wait_for

KEY = PseudonymKey("k-terminal", b"integration-terminal-secret")
TOKEN = "integration-terminal-token-0123456789"
TODAY = datetime.now(timezone.utc).date()


def topic_events(bootstrap: str, topic, model, checkpoint_id: str) -> list:
    """This checkpoint's messages on ``topic``, read from the beginning to the end it had when
    called (the box keeps sending heartbeats: a read to silence would never end)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    parts = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    ends = consumer.end_offsets(parts)
    raw = []
    deadline = time.monotonic() + 60
    while any(consumer.position(tp) < ends[tp] for tp in parts) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            raw += [r.value for r in records
                    if r.key == checkpoint_id.encode() and r.offset < ends[TopicPartition(
                        r.topic, r.partition)]]
    consumer.close()
    return [(model.model_validate_json(v), v) for v in raw]


def post(url: str, path: str, body: bytes, token: str | None = TOKEN,
         content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url + path, data=body, method="POST")
    request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def declared_too_large(url: str, size: int) -> int:
    """A photo upload declaring ``size`` bytes, of which only its first three are sent: the box
    refuses it on the header (sending it all would race the box closing the connection)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/v1/checks/photo")
    for name, value in (("Authorization", f"Bearer {TOKEN}"), ("Content-Type", "image/jpeg"),
                        ("Content-Length", str(size))):
        conn.putheader(name, value)
    conn.endheaders(b"\xff\xd8\xff")
    status = conn.getresponse().status
    conn.close()
    return status


def documents() -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """The test's documents (a person on a list, an expired, a forged one, one photographed)
    and what of them must never be stored or logged: numbers, names, the MRZ lines."""
    rng = np.random.default_rng(5)
    person = make_mrz(rng, DocumentType.ICAO_TD3, TODAY)            # on a person list
    expired = make_mrz(rng, DocumentType.ICAO_TD3, TODAY, expired=True)
    forged = make_mrz(rng, DocumentType.ICAO_TD3, TODAY, forged=True)
    photo_doc = make_mrz(rng, DocumentType.ICAO_TD1, TODAY)
    names = [person[0][5:].split("<")[0], photo_doc[2].split("<")[0]]
    private = [person[1][:9].rstrip("<"), person[0], person[1], expired[1][:9], forged[1][:9],
               photo_doc[0][5:14], *(n for n in names if len(n) >= 6)]
    return person, expired, forged, photo_doc, private


def test_terminal_checks_on_a_running_box(kafka, redis_client, worker, checkpoint_id, tmp_path):
    person, expired, forged, photo_doc, private = documents()
    person_number = private[0]
    rng = np.random.default_rng(6)   # draws the photographed document

    entry = WatchlistEntry(entry_id=f"{checkpoint_id}-person", list="persons",
                           subject_tag=subject_tag("icao-td3", person_number, KEY),
                           key_id=KEY.key_id, category="control-orders", priority=2,
                           disposal="hold at the lane, call the duty officer", created_by="pytest")
    producer = KafkaProducer(bootstrap_servers=kafka, acks="all")
    producer.send(WATCHLIST.name, key=entry.entry_id.encode(), value=encode(entry)).get(timeout=30)
    producer.close()

    clip = render_clip(tmp_path / "lane.mp4", plates=["鲁A3K782", "鲁B7HF30"], seed=2)
    port = free_port()
    box_dir = tmp_path / "box"
    config = {"checkpoint_id": checkpoint_id, "spool_dir": str(box_dir / "spool"),
              "evidence_dir": str(box_dir / "evidence"), "heartbeat_seconds": 1,
              "cameras": [{"id": "lane1", "source": str(clip.path), "lane": "1",
                           "plate_region": "cn"}],
              "terminal_api": {"host": "127.0.0.1", "port": port, "max_body_bytes": 3_000_000,
                               "terminals": [{"id": "t1", "lane": "1",
                                              "token_sha256": token_hash(TOKEN)}]}}
    (tmp_path / "box.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    log_path = tmp_path / "box.log"
    env = {**os.environ, "KAKOU_ID_KEY_ID": KEY.key_id, "KAKOU_ID_KEY": KEY.secret.decode(),
           "KAFKA_BOOTSTRAP_SERVERS": kafka}
    with log_path.open("w") as log:
        box = subprocess.Popen([sys.executable, "-m", "checkpoint", "run", "--config",
                                str(tmp_path / "box.yaml"), "--until-stopped"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    photo_jpeg = b""
    try:
        def healthy() -> bool:
            try:
                with urllib.request.urlopen(url + "/v1/health", timeout=2):
                    return True
            except OSError:
                return False
        wait_for("the terminal API", healthy, 60)
        wait_for("a passage in lane 1", lambda: topic_events(kafka, PASSAGES, VehiclePassage,
                                                             checkpoint_id), 120, 1.0)

        answers = {name: post(url, "/v1/checks", json.dumps(
            {"document": "mrz", "lines": list(lines)}).encode())
            for name, lines in (("person", person), ("expired", expired), ("forged", forged))}
        face = draw_document(rng, Document(DocumentType.ICAO_TD1, photo_doc, Verdict.VALID, TODAY))
        photo_jpeg = cv2.imencode(".jpg", photograph(rng, face))[1].tobytes()
        answers["photo"] = post(url, "/v1/checks/photo?document=mrz", photo_jpeg,
                                content_type="image/jpeg")
        refusals = [post(url, "/v1/checks", b"{}", token=None)[0],
                    post(url, "/v1/checks", b"{}", token="forged-token")[0],
                    declared_too_large(url, 3_000_001),
                    post(url, "/v1/checks/photo", b"GIF89a...", content_type="image/gif")[0],
                    post(url, "/v1/checks/photo", photo_jpeg[:300], content_type="image/jpeg")[0]]

        assert {k: (s, a["verdict"]) for k, (s, a) in answers.items()} == {
            "person": (200, "valid"), "expired": (200, "expired"), "forged": (200, "invalid"),
            "photo": (200, "valid")}
        assert "document_number_check_digit" in answers["forged"][1]["failed_checks"]
        assert refusals[:4] == [401, 401, 413, 415] and refusals[4] in (200, 422)

        # the IdChecks on Kafka: tag, lane, passage, and no number
        def idchecks():
            found = topic_events(kafka, IDCHECKS, IdCheck, checkpoint_id)
            return found if len(found) >= 4 else None
        events = wait_for("the ID checks on Kafka", idchecks, 60)
        by_id = {e.event_id: (e, raw) for e, raw in events}
        person_event, _ = by_id[answers["person"][1]["event_id"]]
        assert person_event.subject_tag == entry.subject_tag and person_event.key_id == KEY.key_id
        assert person_event.passage_id == answers["person"][1]["passage_id"] is not None
        assert by_id[answers["photo"][1]["event_id"]][0].document_type == "icao-td1"
        for _, raw in events:
            assert not [p for p in private if p.encode() in raw]

        # the person on the list: one alert in the stream, with the list's disposal
        alert_key = keys.ALERT_KEY.format(alert_id=alert_id_for(entry.entry_id,
                                                                person_event.event_id))
        body = wait_for("the person-list alert", lambda: redis_client.get(alert_key), 60)
        alert = Alert.model_validate_json(body)
        assert alert.idcheck_id == person_event.event_id and alert.disposal == entry.disposal

        # refusals counted in the heartbeat
        def counted():
            beats = topic_events(kafka, HEARTBEATS, Heartbeat, checkpoint_id)
            last = beats[-1][0] if beats else None
            return last if last and last.terminal and sum(last.terminal.refused.values()) >= 4 \
                else None
        beat = wait_for("a heartbeat with the refusals", counted, 30)
        assert beat.terminal.refused["unauthenticated"] == 2
        assert beat.terminal.refused["too_large"] == 1 and beat.terminal.refused["not_image"] == 1
        assert beat.terminal.verdicts["valid"] >= 2
    finally:
        box.send_signal(signal.SIGTERM)
        box.wait(timeout=60)

    # nothing on the box holds a number, a name or the photo: its log, spool and evidence
    assert box.returncode == 0, log_path.read_text()[-2000:]
    files = [log_path, *(p for p in box_dir.rglob("*") if p.is_file())]
    assert any(p.suffix == ".sqlite" for p in files)
    chunk = photo_jpeg[1000:1064]
    for path in files:
        data = path.read_bytes()
        assert not [p for p in private if p.encode() in data], path
        assert chunk not in data, path
