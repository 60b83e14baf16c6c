"""kakou stream: Faust workers that match passages against watchlists and raise alerts.

Run with ``faust -A stream.app worker``. The pure parts (``match``, ``watchlist``, ``alerts``) are
importable without a broker; ``app`` wires them to Kafka and Redis.
"""
