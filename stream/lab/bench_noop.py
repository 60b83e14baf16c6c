"""The stream benchmark's pass-through agent: the same passages, taken from Kafka the same way
(Faust, raw bytes, the same batches) with nothing done to them, so ``make bench-stream`` can say
what matching costs on top of consuming. Counts what it took in Redis, once per batch, as the
matching worker records a batch in one round trip. Not part of a deployment.
"""
from __future__ import annotations

from typing import Any

import faust
import redis.asyncio as aioredis

from checkpoint.wire.settings import kafka_bootstrap, replication_factor
from checkpoint.wire.topics import PASSAGES
from stream.config import load_stream_config
from stream.settings import redis_url

COUNTER = "kakou:bench:noop:events"

app = faust.App("kakou-bench-noop", store="memory://", datadir=".kakou-bench-noop",
                consumer_auto_offset_reset="earliest")


@app.on_configured.connect
def _where_kafka_is(app: faust.App, conf: Any, **_: Any) -> None:
    conf.broker = [f"kafka://{host}" for host in kafka_bootstrap().split(",")]
    conf.topic_replication_factor = replication_factor()


passages = app.topic(PASSAGES.name, partitions=PASSAGES.partitions, internal=False,
                     key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


@app.agent(passages)
async def pass_through(stream: faust.StreamT) -> None:
    config = load_stream_config()
    redis = aioredis.from_url(redis_url(), decode_responses=True)
    async for events in stream.take_events(config.batch_max, within=config.batch_within_s):
        await redis.incrby(COUNTER, len(events))
