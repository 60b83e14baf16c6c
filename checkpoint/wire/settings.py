"""Where the wire is: the Kafka cluster, and how kakou's topics are named and replicated.

``KAFKA_BOOTSTRAP_SERVERS`` points kakou at an existing cluster (production, docker/compose.yaml);
unset, it is the local broker that ``make services`` starts, whose port ``KAKOU_KAFKA_PORT`` may
move. Each function reads the environment when it is called, so nothing is fixed at import.
"""
from __future__ import annotations

import os


def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or (
        f"127.0.0.1:{os.environ.get('KAKOU_KAFKA_PORT', '9092')}"
    )


def replication_factor() -> int:
    """1 on the single local broker; set KAKOU_REPLICATION_FACTOR=3 on a real cluster."""
    return int(os.environ.get("KAKOU_REPLICATION_FACTOR", "1"))


def topic_prefix() -> str:
    """Prepended to every topic name (default ``kakou.``): ``KAKOU_TOPIC_PREFIX`` lets a staging
    deployment or a benchmark share a cluster without touching the real topics."""
    return os.environ.get("KAKOU_TOPIC_PREFIX", "kakou.")
