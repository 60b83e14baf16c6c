"""Where the stream's Redis is: ``REDIS_URL``, else the local server ``make services`` starts
(its port moved by ``KAKOU_REDIS_PORT``). Read when called, never at import."""
from __future__ import annotations

import os


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or (
        f"redis://127.0.0.1:{os.environ.get('KAKOU_REDIS_PORT', '6379')}/0"
    )
