"""The box: a replay of a generated clip with known plates gives one passage per vehicle, the
right plate for at least 95 % of them, through the code a box runs; a broken camera or model
fails that camera only; and a box on live cameras keeps no passages in memory."""
from __future__ import annotations

import logging
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from checkpoint.box import Checkpoint
from checkpoint.config import CameraConfig, CheckpointConfig, ReaderConfig
from checkpoint.lab.sampleclip import BUSY_PLATES, render_clip
from checkpoint.onnx_models import ModelError
from checkpoint.publish import Publisher
from checkpoint.read import PlateRead, build_reader
from checkpoint.spool import Spool
from checkpoint.wire.edge import Evidence, VehiclePassage
from checkpoint.wire.topics import HEARTBEATS, PASSAGES

UNREACHABLE_KAFKA = "127.0.0.1:1"  # offline box: everything must wait in the spool, nothing lost


def box(tmp_path, source: str, reader: ReaderConfig = ReaderConfig(),
        observers=()) -> tuple[Checkpoint, Spool]:
    cfg = CheckpointConfig(checkpoint_id="replay-test", reader=reader, spool_dir=tmp_path,
                           evidence_dir=tmp_path / "evidence", heartbeat_seconds=0.5,
                           cameras=[CameraConfig(id="gantry", source=source, direction="inbound")])
    spool = Spool(tmp_path / "spool.sqlite")
    return Checkpoint(cfg, Publisher(spool, UNREACHABLE_KAFKA, send_timeout_s=1.0),
                      lambda: build_reader(cfg.reader), observers), spool


def test_one_passage_per_vehicle_with_the_right_plate(tmp_path):
    truth = render_clip(tmp_path / "clip.mp4", plates=BUSY_PLATES, seed=3)
    passages: list[VehiclePassage] = []
    checkpoint, spool = box(tmp_path, truth.path, observers=[passages.append])
    try:
        summary = checkpoint.run(realtime=False)
    finally:
        checkpoint.publisher.close()
    read = Counter(p.plate for p in passages)
    right = sum(read[v.plate] == 1 for v in truth.vehicles)
    assert len(passages) == summary.passages == len(truth.vehicles), read
    assert right / len(truth.vehicles) >= 0.95, read
    for passage in passages:
        assert passage.direction == "inbound" and passage.dwell_seconds > 0.5
        assert passage.evidence.plate_jpeg_b64 and passage.evidence.scene_ref
        assert len(passage.char_confidences) == len(passage.plate)
    # offline: every passage and the heartbeats wait in the spool, in order
    spooled = Counter(e.topic for e in spool.peek(10_000))
    assert spooled[PASSAGES.name] == len(passages) and spooled[HEARTBEATS.name] >= 1


def test_an_unreadable_model_file_fails_the_camera_with_its_name(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="broken.onnx"):
        build_reader(ReaderConfig(det_model=bad))
    clip = render_clip(tmp_path / "clip.mp4", plates=["KA 482 BC"], gap_s=2.0)
    checkpoint, _ = box(tmp_path, clip.path, ReaderConfig(det_model=bad))
    try:
        summary = checkpoint.run(realtime=False)
    finally:
        checkpoint.publisher.close()
    (camera,) = summary.cameras
    assert camera.state == "failed" and "broken.onnx" in camera.last_error


class BlankReader:
    def read(self, image: np.ndarray, region: str | None, *,
             scale: float | None = None) -> list[PlateRead]:
        return []


def test_a_broken_camera_does_not_stop_the_others(tmp_path, caplog):
    clip = render_clip(tmp_path / "clip.mp4", plates=["KA 482 BC"], gap_s=2.0)
    cfg = CheckpointConfig(checkpoint_id="cp", spool_dir=tmp_path, evidence_dir=tmp_path / "ev",
                           cameras=[CameraConfig(id="dead", source=str(tmp_path / "none.mp4")),
                                    CameraConfig(id="good", source=clip.path)])
    spool = Spool(tmp_path / "spool.sqlite")
    publisher = Publisher(spool, UNREACHABLE_KAFKA, send_timeout_s=1.0)
    try:
        with caplog.at_level(logging.ERROR):
            summary = Checkpoint(cfg, publisher, BlankReader).run(realtime=False)
    finally:
        publisher.close()
    states = {c.camera_id: c for c in summary.cameras}
    assert states["dead"].state == "failed" and "cannot open" in states["dead"].last_error
    assert states["good"].state == "finished"
    assert "camera dead: cannot open" in caplog.text
    # the box kept working offline: its heartbeats wait in the spool
    assert spool.depth() >= 1 and not publisher.status.online


class CountingSink:
    """A publisher that only counts, as a box's spool holds events on disk, not in memory."""

    def __init__(self) -> None:
        self.events = 0

    def publish(self, topic, key, event) -> None:
        self.events += 1

    def spool_state(self):
        return False, 0, 0

    def depth(self) -> int:
        return 0


def test_a_live_box_keeps_no_passages_in_memory():
    cfg = CheckpointConfig(checkpoint_id="live", cameras=[CameraConfig(id="c1", source="0")])
    sink = CountingSink()
    checkpoint = Checkpoint(cfg, sink, BlankReader)
    t0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    crop = "A" * 8000   # a plate crop's size, inline

    def passages(n: int, start: int) -> None:
        for i in range(start, start + n):
            seen = t0 + timedelta(seconds=i)
            checkpoint.emit(VehiclePassage(
                checkpoint_id="live", lane="1", camera_id="c1", first_seen=seen, last_seen=seen,
                plate=f"KA{i % 1000:03d}BC", plate_confidence=0.9, dwell_seconds=1.0,
                evidence=Evidence(plate_jpeg_b64=crop)))

    passages(200, 0)                      # warm up caches, logging, pydantic
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    passages(5000, 200)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sink.events == 5200
    # 5000 passages of 8 KB each would be 40 MB if any were kept
    assert after - before < 1_000_000, f"memory grew by {after - before} bytes"


class GuessingReader:
    """Reads one CN plate wherever it is asked, sure of every character but one guess."""

    def read(self, image: np.ndarray, region: str | None, *,
             scale: float | None = None) -> list[PlateRead]:
        h, w = image.shape[:2]
        x1, x2, y1, y2 = w / 3, w / 2, h / 2, h / 2 + 20
        corners = np.float32([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
        chars = (0.3, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)   # mean 0.9: over the 0.8 floor
        return [PlateRead("鲁A12345", float(np.mean(chars)), corners, chars)]


@pytest.mark.parametrize(("floors", "kept"), [({"cn": 0.5}, False), ({}, True)])
def test_a_camera_drops_reads_with_a_guess_below_its_regions_character_floor(
        tmp_path, floors, kept):
    clip = render_clip(tmp_path / "clip.mp4", plates=["KA 482 BC"], gap_s=2.0)
    cfg = CheckpointConfig(checkpoint_id="cp", spool_dir=tmp_path, evidence_dir=tmp_path / "ev",
                           reader=ReaderConfig(min_char_confidence=floors),
                           cameras=[CameraConfig(id="c1", source=clip.path, plate_region="cn")])
    seen: list[VehiclePassage] = []
    publisher = Publisher(Spool(tmp_path / "spool.sqlite"), UNREACHABLE_KAFKA, send_timeout_s=1.0)
    try:
        Checkpoint(cfg, publisher, GuessingReader, [seen.append]).run(realtime=False)
    finally:
        publisher.close()
    assert bool(seen) is kept and {p.plate for p in seen} <= {"鲁A12345"}
