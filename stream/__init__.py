"""kakou stream: Faust workers that match passages against watchlists and raise alerts.

Run with ``faust -A stream.app worker``. ``app`` is the Faust app and its topics, ``agents``
one module per agent, ``state`` all of the Redis; the pure parts (``match``, ``alerts``,
``status``, ``flow``, ``watchlist``) import without a broker. The stream's events are in
``wire``; its lab tools (demo, benchmark) in ``lab``.
"""
