"""The Kafka topics, declared once (name, partitions, retention, cleanup) and created idempotently.

The broker never auto-creates topics: edge and stream both call :func:`ensure_topics` at start-up,
so a fresh cluster gets exactly these settings whoever starts first. A topic's name carries the
deployment's prefix (``KAKOU_TOPIC_PREFIX``, default ``kakou.``), read when the name is asked for.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from checkpoint.wire.settings import (kafka_bootstrap, kafka_security, replication_factor,
                                     topic_prefix)

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class TopicSpec:
    base: str           # the name after the deployment's prefix, e.g. "passages"
    partitions: int
    config: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{topic_prefix()}{self.base}"


def _delete(retention_ms: int) -> dict[str, str]:
    return {"cleanup.policy": "delete", "retention.ms": str(retention_ms)}


PASSAGES = TopicSpec("passages", 6, _delete(72 * HOUR_MS))
IDCHECKS = TopicSpec("idchecks", 6, _delete(72 * HOUR_MS))
HEARTBEATS = TopicSpec("heartbeats", 3, _delete(DAY_MS))
WATCHLIST = TopicSpec("watchlist", 3, {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"})
ALERTS = TopicSpec("alerts", 6, _delete(365 * DAY_MS))
DEADLETTER = TopicSpec("deadletter", 3, _delete(7 * DAY_MS))

ALL_TOPICS: tuple[TopicSpec, ...] = (PASSAGES, IDCHECKS, HEARTBEATS, WATCHLIST, ALERTS, DEADLETTER)


def ensure_topics(bootstrap: str | None = None, specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[str]:
    """Create the missing topics; return the names created (empty when all existed)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap or kafka_bootstrap(), client_id="kakou-admin",
                             request_timeout_ms=30_000, **kafka_security())
    try:
        existing = set(admin.list_topics())
        created: list[str] = []
        for spec in specs:
            if spec.name in existing:
                continue
            try:
                admin.create_topics([NewTopic(spec.name, spec.partitions, replication_factor(),
                                              topic_configs=dict(spec.config))])
                created.append(spec.name)
            except TopicAlreadyExistsError:  # another process won the race: same spec, fine
                pass
        if created:
            log.info("created topics %s", ", ".join(created))
        return created
    finally:
        admin.close()
