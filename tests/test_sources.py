import logging

import numpy as np
import pytest

from checkpoint.config import CameraConfig, CheckpointConfig
from checkpoint.pipeline import Checkpoint
from checkpoint.publish import Publisher
from checkpoint.read import PlateRead
from checkpoint.sampleclip import render_clip
from checkpoint.sources import SourceError, read_frames
from checkpoint.spool import Spool

UNREACHABLE_KAFKA = "127.0.0.1:1"  # nothing listens there: the uplink is down, as at a roadside


def test_missing_file_is_reported_with_the_camera(tmp_path):
    with pytest.raises(SourceError, match="camera cam-7: cannot open"):
        list(read_frames("cam-7", str(tmp_path / "nope.mp4")))


def test_corrupt_file_is_reported(tmp_path):
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(SourceError, match="camera c1"):
        list(read_frames("c1", str(path)))


def test_truncated_file_yields_what_it_has(tmp_path):
    truth = render_clip(tmp_path / "clip.mp4", plates=["KA 482 BC"], gap_s=2.0)
    data = (tmp_path / "clip.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    try:
        frames = sum(1 for _ in read_frames("c1", str(tmp_path / "cut.mp4")))
    except SourceError as exc:  # the container index may be lost with the tail: still a clear error
        assert "c1" in str(exc)
    else:
        assert 0 < frames <= truth.frames


class BlankReader:
    def read(self, image: np.ndarray, region: str | None) -> list[PlateRead]:
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
