"""The stream's agents and tasks, one module each; ``stream.app`` finds them by autodiscovery.

- ``watchlist``: every worker reads the whole compacted watchlist topic into memory.
- ``passages``: passages → matches → alerts, traces, history (PostgreSQL) and flow windows.
- ``idchecks``: ID checks → person-list matches → alerts.
- ``heartbeats``: heartbeats → checkpoint and camera status alerts.
- ``escalation``: alerts nobody acknowledged in time go out again.
- ``retention``: the history drops what is past its window, and kept hits past their policy.
"""
