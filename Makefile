# kakou: `make demo` runs the whole chain end to end, `make test` runs the whole suite.
# Both set up everything they need: the virtual environment (.venv), system packages, and the
# local Kafka + Redis (see .ci/services.py; KAFKA_BOOTSTRAP_SERVERS / REDIS_URL use existing ones).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
FONT   := /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf

.PHONY: help venv system-deps services services-down demo test test-unit bench-stream models clean

help:
	@echo "make demo           set up, start services, replay the sample clip, show alerts"
	@echo "make test           set up, start services, run the whole test suite"
	@echo "make test-unit      only the tests that need no Kafka/Redis"
	@echo "make services       start Kafka (KRaft) and Redis locally; services-down stops them"
	@echo "make bench-stream   stream throughput and alert latency with a 1M-entry watchlist (JSON)"
	@echo "make models         train the project's own plate models (PyTorch; see models/README.md)"
	@echo "make clean          remove the venv and all local service data"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[edge,stream,dev]'
	touch $(STAMP)

venv: $(STAMP)

# The sample clip is rendered with Debian's DejaVu fonts; Java + Maven (for Kafka) must be present.
system-deps:
	@test -f $(FONT) || { echo "installing fonts-dejavu-core"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; }
	@command -v java >/dev/null || { echo "Java 17+ is required to run Kafka locally"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is required to fetch Kafka from Maven Central"; exit 1; }

services: system-deps
	$(PYTHON) .ci/services.py up

services-down:
	$(PYTHON) .ci/services.py down

demo: venv services
	$(PY) -m stream.demo

test: venv services
	$(PY) -m pytest -ra

test-unit: venv
	$(PY) -m pytest -ra -m "not integration"

# Issue 5's figures: own topics and Redis database on the local services, removed afterwards.
bench-stream: venv services
	$(PY) -m stream.bench

clean: services-down
	rm -rf $(VENV) .services .spool .evidence .kakou-stream .kakou-bench-noop

# The project's own CN plate recogniser (issue 4): train, export models/plate_rec_cn.onnx, measure.
# Needs the train extra (torch; onnx for the export) and Debian's CJK and condensed DejaVu fonts.
models: venv
	$(PY) -m pip install --quiet -e '.[train]'
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { echo "installing fonts-wqy-microhei"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; }
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf || { echo "installing fonts-dejavu-extra"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-extra; }
	$(PY) -m models.train_recogniser
