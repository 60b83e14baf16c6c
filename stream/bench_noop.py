"""The stream benchmark's pass-through agent: the same passages, taken from Kafka the same way
(Faust, raw bytes, the same batches) with nothing done to them, so ``make bench-stream`` can say
what matching costs on top of consuming. Counts what it took in Redis, once per batch, as the
matching worker records a batch in one round trip. Not part of a deployment.
"""
from __future__ import annotations

import faust
import redis.asyncio as aioredis

from checkpoint.settings import kafka_bootstrap, redis_url, replication_factor
from checkpoint.topics import PASSAGES
from stream.config import load_stream_config

COUNTER = "kakou:bench:noop:events"

config = load_stream_config()
app = faust.App("kakou-bench-noop", broker=[f"kafka://{h}" for h in kafka_bootstrap().split(",")],
                store="memory://", datadir=".kakou-bench-noop",
                topic_replication_factor=replication_factor(),
                consumer_auto_offset_reset="earliest")
redis = aioredis.from_url(redis_url(), decode_responses=True)
passages = app.topic(PASSAGES.name, partitions=PASSAGES.partitions, internal=False,
                     key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


@app.agent(passages)
async def pass_through(stream: faust.StreamT) -> None:
    async for events in stream.take_events(config.batch_max, within=config.batch_within_s):
        await redis.incrby(COUNTER, len(events))
