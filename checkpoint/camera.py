"""One camera's loop: frames → where to look → reads → tracks → passages.

Live runs and replays of recorded footage go through exactly this code. The loop owns the
camera's tracker and the evidence of the tracks in view; an ended track becomes a passage,
handed to ``emit``, and nothing of it stays here.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from checkpoint.config import CameraConfig, CheckpointConfig
from checkpoint.evidence import EvidenceCollector, EvidenceStore
from checkpoint.motion import Box, MotionGate, clip, grow, union
from checkpoint.passage import build_passage
from checkpoint.read import PlateRead, PlateReader, sure_enough
from checkpoint.sources import FrameSource, SourceError
from checkpoint.track import Tracker, TrackerStep
from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import CameraStatus, VehiclePassage

log = logging.getLogger(__name__)

#: The loop's stages, timed per camera (``CameraStats.stage_s``).
STAGES = ("decode", "gate", "read", "track")


@dataclass
class CameraStats:
    """Live counters of one camera, read by the heartbeat thread and the benchmark."""

    camera_id: str
    state: str = "starting"
    frames: int = 0
    frames_read: int = 0
    passages: int = 0
    errors: int = 0
    last_error: str | None = None
    last_frame_time: datetime | None = None
    source: FrameSource | None = None
    stage_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    started: float = field(default_factory=time.monotonic)

    def status(self) -> CameraStatus:
        elapsed = max(1e-6, time.monotonic() - self.started)
        state = self.state
        if self.source is not None and self.source.state == "reconnecting":
            state = "reconnecting"
        return CameraStatus(camera_id=self.camera_id, state=state,
                            fps_in=self.frames / elapsed, fps_out=self.frames_read / elapsed,
                            last_frame_time=self.last_frame_time,
                            dropped_frames=self.source.dropped if self.source else 0,
                            errors=self.errors, last_error=self.last_error)

    def fail(self, message: str) -> None:
        self.state, self.errors, self.last_error = "failed", self.errors + 1, message


def look_region(camera: CameraConfig, moved: Box | None, tracked: list[Box],
                shape: tuple[int, ...]) -> Box | None:
    """The part of the frame worth reading: what moved plus where plates are tracked, in the ROI."""
    h, w = shape[:2]
    boxes = [grow(tuple(int(v) for v in b), 0.5, w, h) for b in tracked]
    if moved is not None:
        boxes.append(moved)
    region = union(boxes)
    if region is None:
        return None
    if camera.roi is not None:
        xs, ys = [p[0] for p in camera.roi], [p[1] for p in camera.roi]
        return clip(region, (min(xs), min(ys), max(xs), max(ys)))
    return region


def _read_region(reader: PlateReader, camera: CameraConfig, image: np.ndarray,
                 region: Box, scale: float) -> list[PlateRead]:
    x1, y1, x2, y2 = region
    reads = reader.read(image[y1:y2, x1:x2], camera.plate_region, scale=scale)
    if (x1, y1) == (0, 0):
        return reads
    offset = np.array([x1, y1], dtype=np.float32)
    return [dataclasses.replace(r, corners=r.corners + offset) for r in reads]


def run_camera(camera: CameraConfig, cfg: CheckpointConfig, reader: PlateReader,
               emit: Callable[[VehiclePassage], None], stats: CameraStats, *,
               realtime: bool, store: EvidenceStore | None,
               stop: threading.Event | None = None) -> None:
    """Process one camera's frames to the end (or until ``stop``); errors land in ``stats``."""
    started = utcnow()
    source = stats.source = FrameSource(camera.id, camera.source, realtime=realtime, stop=stop)
    gate = MotionGate()
    evidence = EvidenceCollector()
    tracker: Tracker | None = None
    clock = stats.stage_s
    char_floor = cfg.reader.min_char_confidence.get(camera.plate_region or "", 0.0)

    def settle(step: TrackerStep, image: np.ndarray | None) -> None:
        """Keep the frame for the tracks it improved, emit the tracks that ended."""
        if image is not None:
            evidence.keep(step.improved, image)
        evidence.forget(step.discarded)
        for track in step.ended:
            emit(build_passage(track, evidence.take(track), checkpoint_id=cfg.checkpoint_id,
                               camera=camera, started=started, store=store))
            stats.passages += 1

    try:
        stats.state = "running"
        frames = iter(source)
        while True:
            t0 = time.perf_counter()
            frame = next(frames, None)
            t1 = time.perf_counter()
            clock["decode"] += t1 - t0
            if frame is None:
                break
            stats.frames += 1
            stats.last_frame_time = utcnow()
            if tracker is None:
                tracker = Tracker(cfg.track, frame.image.shape[1])
            if frame.index % camera.read_every(source.fps):
                continue
            region = look_region(camera, gate.update(frame.image), tracker.live_boxes(),
                                 frame.image.shape)
            t2 = time.perf_counter()
            clock["gate"] += t2 - t1
            scale = cfg.reader.det_max_side / max(frame.image.shape[:2])
            reads = [] if region is None else _read_region(reader, camera, frame.image, region,
                                                           scale)
            reads = [r for r in reads if sure_enough(r, cfg.reader.min_confidence, char_floor)]
            stats.frames_read += region is not None
            t3 = time.perf_counter()
            clock["read"] += t3 - t2
            settle(tracker.update(frame.t, frame.index, reads), frame.image)
            clock["track"] += time.perf_counter() - t3
        stats.state = "finished"
    except SourceError as exc:
        stats.fail(str(exc))
        log.error("%s", exc)
    except Exception as exc:  # noqa: BLE001 - one camera's bug must not take down the box
        stats.fail(f"camera {camera.id}: {type(exc).__name__}: {exc}")
        log.exception("camera %s failed", camera.id)
    finally:
        if tracker is not None:  # vehicles still in view when the stream ended are reported too
            settle(tracker.finish(), None)
