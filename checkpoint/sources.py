"""Frames in: OpenCV capture of files, RTSP/HTTP streams and local devices.

Live sources (and files replayed at real-time speed) are read by a grabber thread that keeps only
the newest frame: when processing falls behind, old frames are dropped and counted rather than
queued, so the box never builds a backlog. Live streams reconnect with exponential back-off and
report their state; files end. A file that cannot be opened, or yields nothing, raises
SourceError naming the camera and file, so one broken camera never stops the others.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np

log = logging.getLogger(__name__)

MAX_FRAME_PIXELS = 4096 * 4096  # larger frames are corrupt or misconfigured, not plates
LIVE_PREFIXES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


class SourceError(RuntimeError):
    """A camera or file that cannot deliver frames; the message names it and says why."""


@dataclass(frozen=True)
class Frame:
    """One frame. A file's frames are decoded to pixels only when ``image`` is first asked for,
    which must be before the next frame is taken: a frame the pipeline skips costs OpenCV's
    grab, not its colour conversion of 1080p pixels."""

    index: int
    t: float  # seconds since the source started (footage time for files)
    pixels: Callable[[], np.ndarray] = field(repr=False, compare=False)

    @cached_property
    def image(self) -> np.ndarray:
        return self.pixels()

    @classmethod
    def decoded(cls, index: int, t: float, image: np.ndarray) -> Frame:
        return cls(index, t, lambda: image)


def is_live(uri: str) -> bool:
    return uri.isdigit() or uri.lower().startswith(LIVE_PREFIXES)


class FrameSource:
    """One camera's frames, with the counters its heartbeat reports."""

    def __init__(self, camera_id: str, uri: str, *, realtime: bool = False,
                 stop: threading.Event | None = None, max_backoff_s: float = 30.0) -> None:
        self.camera_id = camera_id
        self.uri = uri
        self.live = is_live(uri)
        self.realtime = realtime or self.live
        self.stop = stop or threading.Event()
        self.max_backoff_s = max_backoff_s
        self._halt = threading.Event()
        self.state = "starting"
        self.dropped = 0
        self.reconnects = 0
        self.fps = 25.0

    def __iter__(self) -> Iterator[Frame]:
        return self._latest_only() if self.realtime else self._sequential()

    # --- opening and checking -------------------------------------------------------------

    def _open(self) -> cv2.VideoCapture:
        target: str | int = int(self.uri) if self.uri.isdigit() else self.uri
        cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"camera {self.camera_id}: cannot open {self.uri!r}")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 0 < fps < 1000 else 25.0
        self.state = "running"
        return cap

    def _check(self, image: np.ndarray, index: int) -> None:
        if image.size == 0 or image.ndim != 3 or image.shape[0] * image.shape[1] > MAX_FRAME_PIXELS:
            raise SourceError(f"camera {self.camera_id}: frame {index} of {self.uri!r} has "
                              f"unusable size {image.shape}")

    # --- files at full speed: every frame, in order ---------------------------------------

    def _sequential(self) -> Iterator[Frame]:
        cap = self._open()
        index = 0

        def retrieve(i: int) -> np.ndarray:
            ok, image = cap.retrieve()
            if not ok or image is None:
                raise SourceError(f"camera {self.camera_id}: frame {i} of {self.uri!r} "
                                  "could not be decoded")
            self._check(image, i)
            return image

        try:
            while not self.stop.is_set() and cap.grab():
                yield Frame(index, index / self.fps, lambda i=index: retrieve(i))
                index += 1
        finally:
            cap.release()
        self._finish(index)

    def _finish(self, frames: int) -> None:
        self.state = "finished"
        if frames == 0:
            self.state = "failed"
            raise SourceError(f"camera {self.camera_id}: {self.uri!r} opened but yielded no "
                              "frames (corrupt, truncated or not a video)")

    # --- live and real-time: newest frame only, dropping what processing cannot keep up with

    def _latest_only(self) -> Iterator[Frame]:
        slot: queue.Queue[Frame | Exception | None] = queue.Queue(maxsize=1)
        grabber = threading.Thread(target=self._grab, args=(slot,), daemon=True,
                                   name=f"grab-{self.camera_id}")
        grabber.start()
        try:
            while True:
                item = slot.get()
                if item is None:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self._halt.set()  # the consumer stopped early: stop this camera's grabber only
            grabber.join(timeout=5)

    def _offer(self, slot: queue.Queue[Frame | Exception | None], frame: Frame) -> None:
        """Put the newest frame in the slot, replacing (and counting) one not yet consumed."""
        try:
            slot.put_nowait(frame)
        except queue.Full:
            try:
                slot.get_nowait()
                self.dropped += 1
            except queue.Empty:
                pass
            slot.put_nowait(frame)

    def _grab(self, slot: queue.Queue[Frame | Exception | None]) -> None:
        index, started, backoff = 0, time.monotonic(), 1.0
        try:
            while not self._stopped():
                try:
                    cap = self._open()
                except SourceError as exc:
                    if not self.live:
                        raise
                    backoff = self._wait_reconnect(exc, backoff)
                    continue
                got_any = False
                paced_from = time.monotonic() - index / self.fps
                while not self._stopped():
                    ok, image = cap.read()
                    if not ok or image is None:
                        break
                    self._check(image, index)
                    got_any = True
                    if self.live:
                        t = time.monotonic() - started
                    else:
                        t = index / self.fps
                        time.sleep(max(0.0, paced_from + t - time.monotonic()))
                    self._offer(slot, Frame.decoded(index, t, image))
                    index += 1
                cap.release()
                if not self.live:
                    self._finish(index)
                    break
                if got_any:
                    backoff = 1.0
                backoff = self._wait_reconnect(
                    SourceError(f"camera {self.camera_id}: stream {self.uri!r} ended"), backoff)
        except SourceError as exc:
            self.state = "failed"
            slot.put(exc)  # the consumer takes the last frame first; an error is never dropped
            return
        slot.put(None)

    def _stopped(self) -> bool:
        return self.stop.is_set() or self._halt.is_set()

    def _wait_reconnect(self, exc: SourceError, backoff: float) -> float:
        self.state = "reconnecting"
        self.reconnects += 1
        log.warning("%s; reconnecting in %.0fs", exc, backoff)
        self.stop.wait(backoff)
        return min(backoff * 2, self.max_backoff_s)

