"""Frames in: OpenCV capture of files, RTSP/HTTP streams and local devices.

A source that cannot be opened or yields nothing raises SourceError naming the camera and URI, so
one broken camera is reported and skipped while the others keep running.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

MAX_FRAME_PIXELS = 4096 * 4096  # larger frames are corrupt or misconfigured, not plates


class SourceError(RuntimeError):
    """A camera or file that cannot deliver frames; the message names it and says why."""


@dataclass(frozen=True)
class Frame:
    index: int
    t: float  # seconds since the source started (footage time for files)
    image: np.ndarray


def _open(camera_id: str, uri: str) -> tuple[cv2.VideoCapture, float]:
    target: str | int = int(uri) if uri.isdigit() else uri
    cap = cv2.VideoCapture(target)
    if not cap.isOpened():
        cap.release()
        raise SourceError(f"camera {camera_id}: cannot open {uri!r}")
    fps = cap.get(cv2.CAP_PROP_FPS)
    return cap, fps if 0 < fps < 1000 else 25.0


def read_frames(camera_id: str, uri: str, *, realtime: bool = False) -> Iterator[Frame]:
    """Yield decoded frames; ``realtime`` paces a file at its own frame rate, as a camera would."""
    cap, fps = _open(camera_id, uri)
    started = time.monotonic()
    index = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok or image is None:
                break
            if image.size == 0 or image.shape[0] * image.shape[1] > MAX_FRAME_PIXELS:
                raise SourceError(f"camera {camera_id}: frame {index} of {uri!r} has unusable "
                                  f"size {image.shape}")
            t = index / fps
            if realtime:
                time.sleep(max(0.0, started + t - time.monotonic()))
            yield Frame(index, t, image)
            index += 1
    finally:
        cap.release()
    if index == 0:
        raise SourceError(f"camera {camera_id}: {uri!r} opened but yielded no frames "
                          "(corrupt, truncated or not a video)")
