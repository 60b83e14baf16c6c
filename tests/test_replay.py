"""A replay of a generated clip with known plates: one passage per vehicle, the right plate for
at least 95 % of them (issue 3's acceptance test), through the same pipeline a box runs."""
from __future__ import annotations

from collections import Counter

import pytest

from checkpoint.config import CameraConfig, CheckpointConfig, ReaderConfig
from checkpoint.onnx_models import ModelError
from checkpoint.pipeline import Checkpoint
from checkpoint.publish import Publisher
from checkpoint.read import build_reader
from checkpoint.sampleclip import BUSY_PLATES, render_clip
from checkpoint.spool import Spool
from checkpoint.wire.topics import HEARTBEATS, PASSAGES

UNREACHABLE_KAFKA = "127.0.0.1:1"  # offline box: everything must wait in the spool, nothing lost



def box(tmp_path, source: str, reader: ReaderConfig = ReaderConfig()) -> tuple[Checkpoint, Spool]:
    cfg = CheckpointConfig(checkpoint_id="replay-test", reader=reader, spool_dir=tmp_path,
                           evidence_dir=tmp_path / "evidence", heartbeat_seconds=0.5,
                           cameras=[CameraConfig(id="gantry", source=source, direction="inbound")])
    spool = Spool(tmp_path / "spool.sqlite")
    return Checkpoint(cfg, Publisher(spool, UNREACHABLE_KAFKA, send_timeout_s=1.0),
                      lambda: build_reader(cfg.reader)), spool


def test_one_passage_per_vehicle_with_the_right_plate(tmp_path):
    truth = render_clip(tmp_path / "clip.mp4", plates=BUSY_PLATES, seed=3)
    checkpoint, spool = box(tmp_path, truth.path)
    try:
        summary = checkpoint.run(realtime=False)
    finally:
        checkpoint.publisher.close()
    read = Counter(p.plate for p in summary.passages)
    right = sum(read[v.plate] == 1 for v in truth.vehicles)
    assert len(summary.passages) == len(truth.vehicles), read
    assert right / len(truth.vehicles) >= 0.95, read
    for passage in summary.passages:
        assert passage.direction == "inbound" and passage.dwell_seconds > 0.5
        assert passage.evidence.plate_jpeg_b64 and passage.evidence.scene_ref
        assert len(passage.char_confidences) == len(passage.plate)
    # offline: every passage and the heartbeats wait in the spool, in order
    spooled = Counter(e.topic for e in spool.peek(10_000))
    assert spooled[PASSAGES.name] == len(summary.passages) and spooled[HEARTBEATS.name] >= 1


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
