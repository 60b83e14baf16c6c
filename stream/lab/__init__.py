"""Tools that exercise the stream, not part of a deployment: ``make demo`` (``demo``), the
stream benchmark (``bench``, with its pass-through app ``bench_noop``), and ``worker``, which
starts and stops a worker process for them and for the integration tests.
"""
