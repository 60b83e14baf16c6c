"""One edge box: its cameras (a thread each, with its own reader), its publisher, its heartbeat
(with the terminal API's counters, when it has one).

A camera that fails (bad file, dead stream) is reported in heartbeats and logs while the others
keep going. The box keeps counters, never passages: each passage is published (spooled first)
and handed to the observers, so a box on live cameras runs for months in the same memory.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

from checkpoint.camera import CameraStats, run_camera
from checkpoint.config import CameraConfig, CheckpointConfig
from checkpoint.evidence import EvidenceStore
from checkpoint.read import PlateReader
from checkpoint.wire.base import utcnow
from checkpoint.wire.edge import CameraStatus, Heartbeat, TerminalStatus, VehiclePassage
from checkpoint.wire.topics import HEARTBEATS, PASSAGES

log = logging.getLogger(__name__)

ReaderFactory = Callable[[], PlateReader]
PassageObserver = Callable[[VehiclePassage], None]


class EventSink(Protocol):
    """Where the box's events go: ``checkpoint.publish.Publisher`` (spool, then Kafka)."""

    def publish(self, topic: str, key: str, event: BaseModel) -> None: ...

    def depth(self) -> int: ...

    def spool_state(self) -> tuple[bool, int, int]:
        """(spool full, events held in memory, events dropped)."""


@dataclass(frozen=True)
class RunSummary:
    checkpoint_id: str
    passages: int                 # emitted by all cameras
    cameras: list[CameraStatus]
    spool_depth: int


class Checkpoint:
    """One edge box: its cameras, its publisher, its heartbeat."""

    def __init__(self, cfg: CheckpointConfig, publisher: EventSink, reader_factory: ReaderFactory,
                 observers: Sequence[PassageObserver] = (),
                 terminal_status: Callable[[], TerminalStatus] | None = None) -> None:
        self.cfg = cfg
        self.terminal_status = terminal_status
        self.publisher = publisher
        self.reader_factory = reader_factory
        self.observers = tuple(observers)
        self.store = EvidenceStore(cfg.evidence_dir, cfg.evidence_retention_hours)
        self.stats = {c.id: CameraStats(c.id) for c in cfg.cameras}
        self.stop_event = threading.Event()
        self._lock = threading.Lock()

    def emit(self, passage: VehiclePassage) -> None:
        """Publish one passage and show it to the observers (cameras call this from their
        threads, one at a time)."""
        with self._lock:
            self.publisher.publish(PASSAGES.name, self.cfg.checkpoint_id, passage)
            for observe in self.observers:
                observe(passage)
        log.info("passage %s plate %s (%.2f) camera %s", passage.event_id, passage.plate,
                 passage.plate_confidence, passage.camera_id)

    def heartbeat(self) -> Heartbeat:
        full, held, dropped = self.publisher.spool_state()
        return Heartbeat(checkpoint_id=self.cfg.checkpoint_id, time=utcnow(),
                         cameras=[s.status() for s in self.stats.values()],
                         spool_depth=self.publisher.depth(), spool_full=full, spool_held=held,
                         spool_dropped=dropped,
                         terminal=self.terminal_status() if self.terminal_status else None)

    def send_heartbeat(self) -> None:
        self.publisher.publish(HEARTBEATS.name, self.cfg.checkpoint_id, self.heartbeat())

    def stop(self) -> None:
        """Stop every camera (live sources run until this is called)."""
        self.stop_event.set()

    def run(self, *, realtime: bool, until_stopped: bool = False) -> RunSummary:
        """Run every camera to its end (files) or until stopped (live), with heartbeats; with
        ``until_stopped``, the box stays up (heartbeats, terminals) after its cameras end, until
        ``stop``."""
        self.store.purge()
        done = threading.Event()
        beat = threading.Thread(target=self._beat_until, args=(done,), daemon=True)
        beat.start()
        threads = [threading.Thread(target=self._camera_thread, args=(cam, realtime),
                                    name=f"camera-{cam.id}") for cam in self.cfg.cameras]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        while until_stopped and not self.stop_event.wait(0.5):
            pass
        done.set()
        beat.join()
        self.send_heartbeat()
        return RunSummary(self.cfg.checkpoint_id, sum(s.passages for s in self.stats.values()),
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
                   store=self.store, stop=self.stop_event)

    def _beat_until(self, done: threading.Event) -> None:
        while not done.wait(self.cfg.heartbeat_seconds):
            self.send_heartbeat()
