"""The edge's data path for one box: frames → reads → tracks → passages → spool → Kafka.

Each camera runs in its own thread with its own reader, so a camera that fails (bad file, dead
stream) is reported in heartbeats and logs while the others keep going. Live runs and replays of
recorded footage go through exactly this code.
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
from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import CameraStatus, Heartbeat, VehiclePassage
from checkpoint.passage import EvidenceStore, build_passage
from checkpoint.publish import Publisher
from checkpoint.read import PlateRead, PlateReader
from checkpoint.motion import Box, MotionGate, clip, grow, union
from checkpoint.sources import FrameSource, SourceError
from checkpoint.wire.topics import HEARTBEATS, PASSAGES
from checkpoint.track import Track, Tracker

log = logging.getLogger(__name__)

ReaderFactory = Callable[[], PlateReader]


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


STAGES = ("decode", "gate", "read", "track")


def _look_region(camera: CameraConfig, moved: Box | None, tracked: list[Box],
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
               realtime: bool, evidence: EvidenceStore | None,
               stop: threading.Event | None = None) -> None:
    """Process one camera's frames to the end (or until ``stop``); errors land in ``stats``."""
    started = utcnow()
    source = stats.source = FrameSource(camera.id, camera.source, realtime=realtime, stop=stop)
    gate = MotionGate()
    tracker: Tracker | None = None
    clock = stats.stage_s

    def emit_ended(tracks: list[Track]) -> None:
        for track in tracks:
            emit(build_passage(track, checkpoint_id=cfg.checkpoint_id, camera=camera,
                               started=started, evidence=evidence))
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
            region = _look_region(camera, gate.update(frame.image), tracker.live_boxes(),
                                  frame.image.shape)
            t2 = time.perf_counter()
            clock["gate"] += t2 - t1
            scale = cfg.reader.det_max_side / max(frame.image.shape[:2])
            reads = [] if region is None else _read_region(reader, camera, frame.image, region,
                                                           scale)
            reads = [r for r in reads if r.confidence >= cfg.reader.min_confidence]
            stats.frames_read += region is not None
            t3 = time.perf_counter()
            clock["read"] += t3 - t2
            emit_ended(tracker.update(frame.t, frame.index, reads, frame.image))
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
            emit_ended(tracker.finish())


@dataclass
class RunSummary:
    checkpoint_id: str
    passages: list[VehiclePassage]
    cameras: list[CameraStatus]
    spool_depth: int


class Checkpoint:
    """One edge box: its cameras, its publisher, its heartbeat."""

    def __init__(self, cfg: CheckpointConfig, publisher: Publisher, reader_factory: ReaderFactory):
        self.cfg = cfg
        self.publisher = publisher
        self.reader_factory = reader_factory
        self.evidence = EvidenceStore(cfg.evidence_dir, cfg.evidence_retention_hours)
        self.stats = {c.id: CameraStats(c.id) for c in cfg.cameras}
        self.passages: list[VehiclePassage] = []
        self.stop_event = threading.Event()
        self._lock = threading.Lock()

    def emit(self, passage: VehiclePassage) -> None:
        self.publisher.publish(PASSAGES.name, self.cfg.checkpoint_id, passage)
        with self._lock:
            self.passages.append(passage)
        log.info("passage %s plate %s (%.2f) camera %s", passage.event_id, passage.plate,
                 passage.plate_confidence, passage.camera_id)

    def heartbeat(self) -> Heartbeat:
        return Heartbeat(checkpoint_id=self.cfg.checkpoint_id, time=utcnow(),
                         cameras=[s.status() for s in self.stats.values()],
                         spool_depth=self.publisher.depth())

    def send_heartbeat(self) -> None:
        self.publisher.publish(HEARTBEATS.name, self.cfg.checkpoint_id, self.heartbeat())

    def stop(self) -> None:
        """Stop every camera (live sources run until this is called)."""
        self.stop_event.set()

    def run(self, *, realtime: bool) -> RunSummary:
        """Run every camera to its end (files) or until stopped (live), with heartbeats."""
        self.evidence.purge()
        done = threading.Event()
        beat = threading.Thread(target=self._beat_until, args=(done,), daemon=True)
        beat.start()
        threads = [threading.Thread(target=self._camera_thread, args=(cam, realtime),
                                    name=f"camera-{cam.id}") for cam in self.cfg.cameras]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        done.set()
        beat.join()
        self.send_heartbeat()
        return RunSummary(self.cfg.checkpoint_id, list(self.passages),
                          [s.status() for s in self.stats.values()], self.publisher.depth())

    def _camera_thread(self, camera: CameraConfig, realtime: bool) -> None:
        stats = self.stats[camera.id]
        try:
            reader = self.reader_factory()
        except Exception as exc:  # noqa: BLE001 - an unreadable model fails this camera only
            stats.fail(f"camera {camera.id}: reader failed to load: {exc}")
            log.error("%s", stats.last_error)
            return
        run_camera(camera, self.cfg, reader, self.emit, stats, realtime=realtime,
                   evidence=self.evidence, stop=self.stop_event)

    def _beat_until(self, done: threading.Event) -> None:
        while not done.wait(self.cfg.heartbeat_seconds):
            self.send_heartbeat()
