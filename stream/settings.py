"""Where the stream's Redis and PostgreSQL are: ``REDIS_URL`` and ``DATABASE_URL``, else the local
servers ``make services`` starts (their ports moved by ``KAKOU_REDIS_PORT``, ``KAKOU_PG_PORT``).
Read when called, never at import."""
from __future__ import annotations

import os


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or (
        f"redis://127.0.0.1:{os.environ.get('KAKOU_REDIS_PORT', '6379')}/0"
    )


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or (
        f"postgresql://kakou@127.0.0.1:{os.environ.get('KAKOU_PG_PORT', '5433')}/kakou"
    )
