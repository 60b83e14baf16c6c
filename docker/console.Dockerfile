# kakou control-room console: the web app operators, supervisors and auditors use, over Redis
# and kakou.alerts. Any number of replicas behind a TLS-terminating proxy (or with tls: in the
# config). Also provides the kakou-console CLI: create the first account with
#   docker compose exec console kakou-console user add NAME --role supervisor
# Build from the repository root:  docker build -f docker/console.Dockerfile .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KAKOU_CONSOLE_CONFIG=/app/configs/console.yaml

WORKDIR /app
COPY pyproject.toml README.md ./
# Of the edge, only the wire contract; of the stream, its contracts, audit log and the console.
COPY checkpoint/__init__.py ./checkpoint/
COPY checkpoint/wire/ ./checkpoint/wire/
COPY stream/*.py stream/*.lua ./stream/
COPY stream/console/ ./stream/console/
COPY configs/console.yaml ./configs/
RUN pip install --no-cache-dir '.[console]'

RUN useradd --system --no-create-home --shell /usr/sbin/nologin kakou
USER kakou
EXPOSE 8080
# In a container the console listens on every interface; publish the port only to the proxy.
CMD ["kakou-console", "serve", "--host", "0.0.0.0"]
