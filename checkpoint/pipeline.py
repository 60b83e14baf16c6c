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
from checkpoint.contracts import CameraStatus, Heartbeat, VehiclePassage, utcnow
from checkpoint.passage import EvidenceStore, build_passage
from checkpoint.publish import Publisher
from checkpoint.read import PlateRead, PlateReader
from checkpoint.sources import SourceError, read_frames
from checkpoint.topics import HEARTBEATS, PASSAGES
from checkpoint.track import Tracker

log = logging.getLogger(__name__)

ReaderFactory = Callable[[], PlateReader]


@dataclass
class CameraStats:
    """Live counters of one camera, read by the heartbeat thread."""

    camera_id: str
    state: str = "starting"
    frames: int = 0
    frames_read: int = 0
    passages: int = 0
    errors: int = 0
    last_error: str | None = None
    last_frame_time: datetime | None = None
    started: float = field(default_factory=time.monotonic)

    def status(self) -> CameraStatus:
        elapsed = max(1e-6, time.monotonic() - self.started)
        return CameraStatus(camera_id=self.camera_id, state=self.state,
                            fps_in=self.frames / elapsed, fps_out=self.frames_read / elapsed,
                            last_frame_time=self.last_frame_time, errors=self.errors,
                            last_error=self.last_error)


def _roi_box(camera: CameraConfig, image: np.ndarray) -> tuple[int, int, int, int]:
    h, w = image.shape[:2]
    if camera.roi is None:
        return 0, 0, w, h
    xs, ys = [p[0] for p in camera.roi], [p[1] for p in camera.roi]
    return max(0, min(xs)), max(0, min(ys)), min(w, max(xs)), min(h, max(ys))


def _read_roi(reader: PlateReader, camera: CameraConfig, image: np.ndarray) -> list[PlateRead]:
    x1, y1, x2, y2 = _roi_box(camera, image)
    reads = reader.read(image[y1:y2, x1:x2], camera.plate_region)
    if (x1, y1) == (0, 0):
        return reads
    offset = np.array([x1, y1], dtype=np.float32)
    return [dataclasses.replace(r, corners=r.corners + offset) for r in reads]


def run_camera(camera: CameraConfig, cfg: CheckpointConfig, reader: PlateReader,
               emit: Callable[[VehiclePassage], None], stats: CameraStats, *,
               realtime: bool, evidence: EvidenceStore | None) -> None:
    """Process one camera's frames to the end; errors land in ``stats``, never escape."""
    started = utcnow()
    tracker: Tracker | None = None
    try:
        stats.state = "running"
        for frame in read_frames(camera.id, camera.source, realtime=realtime):
            stats.frames += 1
            stats.last_frame_time = utcnow()
            if tracker is None:
                tracker = Tracker(cfg.track, frame.image.shape[1])
            if frame.index % camera.detect_every:
                continue
            reads = _read_roi(reader, camera, frame.image)
            stats.frames_read += 1
            for track in tracker.update(frame.t, frame.index, reads, frame.image):
                emit(build_passage(track, checkpoint_id=cfg.checkpoint_id, camera=camera,
                                   started=started, evidence=evidence))
                stats.passages += 1
        stats.state = "finished"
    except SourceError as exc:
        stats.state, stats.errors, stats.last_error = "failed", stats.errors + 1, str(exc)
        log.error("%s", exc)
    except Exception as exc:  # noqa: BLE001 - one camera's bug must not take down the box
        stats.state, stats.errors = "failed", stats.errors + 1
        stats.last_error = f"camera {camera.id}: {type(exc).__name__}: {exc}"
        log.exception("camera %s failed", camera.id)
    finally:
        if tracker is not None:  # vehicles still in view when the stream ended are reported too
            for track in tracker.finish():
                emit(build_passage(track, checkpoint_id=cfg.checkpoint_id, camera=camera,
                                   started=started, evidence=evidence))
                stats.passages += 1


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
            stats.state, stats.errors = "failed", stats.errors + 1
            stats.last_error = f"camera {camera.id}: reader failed to load: {exc}"
            log.error("%s", stats.last_error)
            return
        run_camera(camera, self.cfg, reader, self.emit, stats, realtime=realtime,
                   evidence=self.evidence)

    def _beat_until(self, done: threading.Event) -> None:
        while not done.wait(self.cfg.heartbeat_seconds):
            self.send_heartbeat()
