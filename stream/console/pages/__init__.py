"""The console's pages, one module per subject, each an APIRouter that ``stream.console.app``
includes: ``login`` (public), ``alerts``, ``search`` (search and traces), ``stats``, ``users``,
``audit`` and ``watchlists``."""
