import threading
import time

import numpy as np
import pytest

from checkpoint.lab.sampleclip import render_clip
from checkpoint.sources import FrameSource, SourceError

UNREACHABLE_KAFKA = "127.0.0.1:1"  # nothing listens there: the uplink is down, as at a roadside


def test_missing_file_is_reported_with_the_camera(tmp_path):
    with pytest.raises(SourceError, match="camera cam-7: cannot open"):
        list(FrameSource("cam-7", str(tmp_path / "nope.mp4")))


def test_corrupt_file_is_reported(tmp_path):
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(SourceError, match="camera c1"):
        list(FrameSource("c1", str(path)))


def test_truncated_file_yields_what_it_has(tmp_path):
    truth = render_clip(tmp_path / "clip.mp4", plates=["KA 482 BC"], gap_s=2.0)
    data = (tmp_path / "clip.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    try:
        frames = sum(1 for _ in FrameSource("c1", str(tmp_path / "cut.mp4")))
    except SourceError as exc:  # the container index may be lost with the tail: still a clear error
        assert "c1" in str(exc)
    else:
        assert 0 < frames <= truth.frames


def test_realtime_replay_drops_what_it_cannot_process_and_never_queues(tmp_path):
    clip = render_clip(tmp_path / "clip.mp4", plates=["KA 482 BC"], gap_s=2.0)
    source = FrameSource("c1", clip.path, realtime=True)
    consumed = []
    for frame in source:
        time.sleep(0.25)  # a reader slower than the camera's 10 fps
        consumed.append(frame.index)
    assert source.dropped > 0
    assert len(consumed) + source.dropped == clip.frames  # each frame either read or counted
    assert consumed == sorted(consumed) and consumed[-1] == clip.frames - 1  # newest frames win
    assert source.state == "finished"


def test_a_live_stream_that_never_opens_keeps_reconnecting_until_stopped():
    stop = threading.Event()
    source = FrameSource("gate-3", "rtsp://127.0.0.1:9/none", stop=stop, max_backoff_s=0.2)
    worker = threading.Thread(target=lambda: list(source))
    worker.start()
    deadline = time.monotonic() + 60
    while source.reconnects < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert source.reconnects >= 3 and source.state == "reconnecting"
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive()


def test_zero_size_and_giant_frames_are_refused():
    source = FrameSource("c9", "unused.mp4")
    with pytest.raises(SourceError, match="camera c9: frame 3 .* unusable size"):
        source._check(np.zeros((0, 0, 3), np.uint8), 3)
    with pytest.raises(SourceError, match="unusable size"):
        source._check(np.zeros((5000, 5000, 3), np.uint8), 0)


def test_frames_of_a_file_decode_only_when_asked_and_give_their_own_pixels(tmp_path):
    import cv2

    path = tmp_path / "ramp.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (64, 48))
    for i in range(10):
        out.write(np.full((48, 64, 3), i * 25, np.uint8))  # each frame its own brightness
    out.release()
    means, skipped = {}, []
    for f in FrameSource("c1", str(path)):
        if f.index % 3 == 0:
            means[f.index] = float(f.image.mean())
        else:
            skipped.append(f)
    assert sorted(means) == [0, 3, 6, 9]
    assert skipped and all("image" not in vars(f) for f in skipped)  # only grabbed, never decoded
    for index, mean in means.items():
        assert abs(mean - index * 25) < 4
