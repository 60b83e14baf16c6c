"""Where the services are: one place reads the environment, edge and stream both use it.

``KAFKA_BOOTSTRAP_SERVERS`` and ``REDIS_URL`` point kakou at existing services (production,
docker/compose.yaml); unset, they default to the local services that ``make services`` starts,
whose ports ``KAKOU_KAFKA_PORT`` / ``KAKOU_REDIS_PORT`` may move. Read once, at import.
"""
from __future__ import annotations

import os


def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or (
        f"127.0.0.1:{os.environ.get('KAKOU_KAFKA_PORT', '9092')}"
    )


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or (
        f"redis://127.0.0.1:{os.environ.get('KAKOU_REDIS_PORT', '6379')}/0"
    )


def replication_factor() -> int:
    """1 on the single local broker; set KAKOU_REPLICATION_FACTOR=3 on a real cluster."""
    return int(os.environ.get("KAKOU_REPLICATION_FACTOR", "1"))


def topic_prefix() -> str:
    """Prepended to every topic name (default ``kakou.``): ``KAKOU_TOPIC_PREFIX`` lets a staging
    deployment or a benchmark share a cluster without touching the real topics."""
    return os.environ.get("KAKOU_TOPIC_PREFIX", "kakou.")
