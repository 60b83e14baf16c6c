"""The Faust app and its topics: ``faust -A stream.app worker``.

The agents live one per module in ``stream.agents`` (found by autodiscovery); what they share
(config, Redis state, watchlist, outbox) is ``app.runtime``, built when the worker starts.
Input topics are read as raw bytes and validated by the agents, so a malformed message is
dead-lettered with its reason and the worker carries on.
"""
from __future__ import annotations

import asyncio
from typing import Any

import faust
from aiokafka.helpers import create_ssl_context
from faust.types.auth import CredentialsT

from checkpoint.wire.base import encode
from checkpoint.wire.settings import kafka_bootstrap, kafka_security, replication_factor
from checkpoint.wire.topics import (
    ALERTS,
    DEADLETTER,
    HEARTBEATS,
    IDCHECKS,
    PASSAGES,
    TopicSpec,
    ensure_topics,
)
from stream.runtime import Runtime
from stream.wire import Alert, DeadLetter, StatusAlert


class KakouApp(faust.App):
    runtime: Runtime

    async def on_first_start(self) -> None:
        """Create kakou's topics (the broker never auto-creates them) and the worker's runtime
        before any agent starts; a bad config stops the worker here, with its file and key."""
        self.runtime = Runtime.start(FaustOutbox())
        await asyncio.to_thread(ensure_topics)
        await super().on_first_start()


# The worker CLI decides about the web server: run with --without-web, or give each a --web-port.
app = KakouApp("kakou-stream", autodiscover=["stream.agents"], store="memory://",
               datadir=".kakou-stream",
               consumer_auto_offset_reset="earliest", producer_acks=-1)


@app.on_configured.connect
def _where_kafka_is(app: faust.App, conf: Any, **_: Any) -> None:
    """The cluster, from the environment, read when Faust first configures the app."""
    conf.broker = [f"kafka://{host}" for host in kafka_bootstrap().split(",")]
    conf.broker_credentials = faust_credentials(kafka_security())
    conf.topic_replication_factor = replication_factor()


def faust_credentials(security: dict[str, object]) -> CredentialsT | None:
    """kakou's Kafka security settings (``checkpoint.wire.settings.kafka_security``) as Faust's
    credentials; None for a plain cluster."""
    if not security:
        return None
    context = aiokafka_ssl(security)
    if str(security["security_protocol"]).startswith("SASL"):
        return faust.SASLCredentials(username=security["sasl_plain_username"],
                                     password=security["sasl_plain_password"],
                                     mechanism=security["sasl_mechanism"], ssl_context=context)
    return faust.SSLCredentials(context)


def aiokafka_security(security: dict[str, object]) -> dict[str, object]:
    """kakou's Kafka security settings as aiokafka's consumer takes them."""
    out = {k: v for k, v in security.items() if k != "ssl_cafile"}
    context = aiokafka_ssl(security)
    return {**out, "ssl_context": context} if context else out


def aiokafka_ssl(security: dict[str, object]):
    """The SSL context aiokafka wants (it takes no CA file of its own); None without SSL."""
    if not str(security.get("security_protocol", "")).endswith("SSL"):
        return None
    return create_ssl_context(cafile=security.get("ssl_cafile"))


def raw_topic(spec: TopicSpec) -> faust.TopicT:
    """A kakou topic as bytes: agents validate messages themselves (see ``stream.consume``)."""
    return app.topic(spec.name, partitions=spec.partitions, internal=False, key_type=bytes,
                     value_type=bytes, key_serializer="raw", value_serializer="raw")


passages_topic = raw_topic(PASSAGES)
idchecks_topic = raw_topic(IDCHECKS)
heartbeats_topic = raw_topic(HEARTBEATS)
alerts_topic = raw_topic(ALERTS)
deadletter_topic = raw_topic(DEADLETTER)


class FaustOutbox:
    """kakou.alerts and kakou.deadletter through the app's producer, each send acknowledged."""

    async def send_alert(self, alert: Alert | StatusAlert) -> None:
        await (await alerts_topic.send(key=alert.alert_id.encode(), value=encode(alert)))

    async def send_dead_letter(self, key: bytes | None, letter: DeadLetter) -> None:
        await (await deadletter_topic.send(key=key, value=encode(letter)))
