"""Scene images, fetched from the box that keeps them when an operator opens an alert: the
whole frame stays on the box (design: only the plate crop travels), and comes to the console
only for an alert, over the box's API with the console's own token."""
from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import PurePath

from stream.console.config import BoxLink

MAX_SCENE = 8 * 1024 * 1024
TIMEOUT_S = 5.0


class EvidenceError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def scene_path(scene_ref: str) -> str:
    """The box's URL path for a scene reference (its day folder and file name)."""
    parts = PurePath(scene_ref).parts
    if len(parts) < 2:
        raise EvidenceError(404, f"not a scene reference: {scene_ref!r}")
    return f"/v1/evidence/{parts[-2]}/{parts[-1]}"


def fetch_scene(box: BoxLink, scene_ref: str) -> bytes:
    """The JPEG bytes of the scene; EvidenceError with the status to answer otherwise."""
    token = box.token_file.read_text(encoding="utf-8").strip()
    request = urllib.request.Request(box.url.rstrip("/") + scene_path(scene_ref),
                                     headers={"Authorization": f"Bearer {token}"})
    context = ssl.create_default_context(cafile=str(box.ca_file) if box.ca_file else None)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as response:
            body = response.read(MAX_SCENE + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise EvidenceError(404, "the box no longer has this scene image (it keeps them "
                                     "for its retention period)") from None
        raise EvidenceError(502, f"the box refused the request ({exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise EvidenceError(502, f"the box did not answer: {exc}") from None
    if len(body) > MAX_SCENE:
        raise EvidenceError(502, "the box sent more than a scene image")
    return body
