"""kakou's wire contract: what the edge and the stream must agree on for an event to mean the
same on both ends of Kafka.

- ``base``: the strict model every event and config shares; event ids; encode and decode.
- ``edge``: the events an edge box sends (passages, ID checks, heartbeats).
- ``topics``: every topic, declared once, created idempotently; ``settings``: where Kafka is.
- ``plates``: how a plate's text is written (alphabet, regions, the one normaliser, OCR
  confusions); ``pseudonym``: how a document number becomes a subject tag.

The stream's own events are in ``stream.wire``. This package imports nothing else of the edge,
so the stream (and its container image) takes only ``checkpoint/wire/`` from the edge.
"""
