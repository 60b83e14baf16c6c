# kakou stream workers (Faust): passages + watchlist -> alerts, with state in Redis.
# Also provides the kakou-watchlist, kakou-audit, kakou-flow and kakou-trace CLIs.
# Build from the repository root:  docker build -f docker/stream.Dockerfile .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KAKOU_STREAM_CONFIG=/app/configs/stream.yaml

WORKDIR /app
COPY pyproject.toml README.md ./
# Of the edge, only the wire contract; of the stream, not its lab (stream/lab/).
COPY checkpoint/__init__.py ./checkpoint/
COPY checkpoint/wire/ ./checkpoint/wire/
COPY stream/*.py stream/*.lua ./stream/
COPY stream/agents/ ./stream/agents/
COPY configs/stream.yaml configs/watchlist-sample.csv ./configs/
RUN pip install --no-cache-dir '.[stream]'

# Faust keeps its local table state under the working directory, so run from a writable home.
RUN useradd --system --create-home --home-dir /home/kakou --shell /usr/sbin/nologin kakou
USER kakou
WORKDIR /home/kakou

CMD ["faust", "-A", "stream.app", "worker", "-l", "info"]
