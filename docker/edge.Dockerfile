# kakou edge box: cameras -> plate detection and reading -> durable SQLite spool -> Kafka.
# Build from the repository root:  docker build -f docker/edge.Dockerfile .
#   the box (default target):     checkpoint run --config BOX.yaml
#   --target demo:                the box plus the lab's sample clip, for docker/compose.yaml
FROM python:3.11-slim AS box

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
# The edge runtime and the wire contract; not its lab (checkpoint/lab/).
COPY checkpoint/*.py ./checkpoint/
COPY checkpoint/wire/ ./checkpoint/wire/
COPY configs/checkpoint-demo.yaml ./configs/
RUN pip install --no-cache-dir '.[edge]'
# The project's models a box uses by default (reader.plate_det_model, reader.corner_model,
# reader.rec_models, and the terminal API's MRZ recogniser).
COPY models/plate_det.onnx models/plate_corners.onnx models/plate_rec_cn.onnx models/mrz_rec.onnx \
     ./models/
ENV KAKOU_MODELS_DIR=/app/models

# Spool (un-acknowledged events survive restarts and uplink loss) and evidence images live here.
ENV KAKOU_SPOOL_DIR=/var/lib/kakou/spool \
    KAKOU_EVIDENCE_DIR=/var/lib/kakou/evidence
RUN useradd --system --create-home --home-dir /home/kakou --shell /usr/sbin/nologin kakou \
    && mkdir -p /var/lib/kakou/spool /var/lib/kakou/evidence \
    && chown -R kakou:kakou /var/lib/kakou
VOLUME ["/var/lib/kakou"]
# The ID terminals' API (terminal_api in the box's config; port 8443 by default). Its
# pseudonymisation key comes from a secret file: KAKOU_ID_KEY_FILE=/run/secrets/...
EXPOSE 8443
USER kakou

ENTRYPOINT ["checkpoint"]
CMD ["run", "--config", "/app/configs/checkpoint-demo.yaml"]


# The demo's box: renders the synthetic sample clip (the lab; its fonts are the packages named in
# checkpoint/lab/fonts.py) and replays it.
FROM box AS demo
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-dejavu-extra \
       fonts-wqy-microhei fonts-noto-cjk fonts-roboto-unhinted fonts-liberation2 fonts-ocr-b \
    && rm -rf /var/lib/apt/lists/*
COPY checkpoint/lab/ ./checkpoint/lab/
USER kakou
