# kakou edge checkpoint: camera/clip -> detection + plate OCR -> durable SQLite spool -> Kafka.
# Build from the repository root:  docker build -f docker/edge.Dockerfile .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The sample-clip renderer draws text with DejaVu.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY checkpoint/ ./checkpoint/
COPY stream/ ./stream/
COPY configs/ ./configs/
RUN pip install --no-cache-dir '.[edge]'
# The project's own models (docs: models/README.md); the config picks which are used.
COPY models/*.onnx ./models/
ENV KAKOU_MODELS_DIR=/app/models

# Spool (un-acknowledged events survive restarts and uplink loss) and evidence images live here.
ENV KAKOU_SPOOL_DIR=/var/lib/kakou/spool \
    KAKOU_EVIDENCE_DIR=/var/lib/kakou/evidence
RUN useradd --system --create-home --home-dir /home/kakou --shell /usr/sbin/nologin kakou \
    && mkdir -p /var/lib/kakou/spool /var/lib/kakou/evidence \
    && chown -R kakou:kakou /var/lib/kakou
VOLUME ["/var/lib/kakou"]
USER kakou

ENTRYPOINT ["checkpoint"]
CMD ["run", "--config", "/app/configs/checkpoint-demo.yaml"]
