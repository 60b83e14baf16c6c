# kakou: `make demo` runs the whole chain end to end, `make test` runs the whole suite.
# Both set up everything they need: the virtual environment (.venv), system packages, and the
# local Kafka + Redis (see .ci/services.py; KAFKA_BOOTSTRAP_SERVERS / REDIS_URL use existing ones).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: help venv system-deps services services-down demo console test test-unit bench-stream reliability audit-deps models clean

help:
	@echo "make demo           set up, start services, replay the sample clip, show alerts"
	@echo "make console        set up, start services, serve the control-room console (:8080)"
	@echo "make test           set up, start services, run the whole test suite"
	@echo "make test-unit      only the tests that need no Kafka/Redis"
	@echo "make services       start Kafka (KRaft) and Redis locally; services-down stops them"
	@echo "make bench-stream   stream throughput and alert latency with a 1M-entry watchlist (JSON)"
	@echo "make reliability    10-minute soak with a console open: memory, lag, latencies (JSON)"
	@echo "make audit-deps     known vulnerabilities in the installed dependencies (pip-audit)"
	@echo "make models         train the project's own plate models (PyTorch; see models/README.md)"
	@echo "make clean          remove the venv and all local service data"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[edge,stream,lab,dev]'
	touch $(STAMP)

venv: $(STAMP)

# The fonts the sample clip and the model renderers draw with (their one table is
# checkpoint/lab/fonts.py, which names each font's Debian package); Debian's chromium for the
# console's browser tests (Playwright drives it; no browser is downloaded); Java + Maven for Kafka.
system-deps:
	@missing="$$($(PYTHON) checkpoint/lab/fonts.py --missing)"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then echo "installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	@command -v java >/dev/null || { echo "Java 17+ is required to run Kafka locally"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is required to fetch Kafka from Maven Central"; exit 1; }

services: system-deps
	$(PYTHON) .ci/services.py up

services-down:
	$(PYTHON) .ci/services.py down

demo: venv services
	$(PY) -m stream.lab.demo

# The console on http://127.0.0.1:8080 (configs/console.yaml); the first account:
#   .venv/bin/kakou-console user add NAME --role supervisor
console: venv services
	$(VENV)/bin/kakou-console serve

test: venv services
	$(PY) -m pytest -ra

test-unit: venv
	$(PY) -m pytest -ra -m "not integration"

# The 10-minute soak at the benchmark's steady rate with a console open (RELIABILITY.md); exits
# non-zero when a process's memory grows.
reliability: venv services
	$(PY) -m stream.lab.soak --minutes 10 --rate 1000

# Known vulnerabilities in the installed dependencies (pip-audit; needs PyPI's JSON API or OSV).
audit-deps: venv
	$(PY) -m pip install --quiet pip-audit
	$(VENV)/bin/pip-audit --skip-editable

# On the local services, in topics and a Redis database of its own, removed afterwards.
bench-stream: venv services
	$(PY) -m stream.lab.bench

clean: services-down
	rm -rf $(VENV) .services .spool .evidence .kakou-stream .kakou-bench-noop .models-work

# The project's own plate models (models.training): train, export to models/, check against
# PyTorch, measure (models/README.md). Needs the train extra (torch; onnx for the export). Hours on
# 2 cores. The data sets are read from KAKOU_DATA_DIR (make models KAKOU_DATA_DIR=/path), else
# ../shared/data. The detector trains in two stages (the second continues the first on fresh
# scenes; the stages' weights stay in .models-work/); the corner refiner trains after it, on the
# corners it finds; the CN recogniser trains last, partly on plates the two find and frame.
models: venv system-deps
	$(PY) -m pip install --quiet -e '.[train]'
	$(PY) -m models.training.train_latin
	$(PY) -m models.training.train_mrz
	$(PY) -m models.training.train_detector --checkpoint .models-work/plate_det_stage1.pt
	$(PY) -m models.training.train_detector --init .models-work/plate_det_stage1.pt --seed 1 --steps 2400 --lr 1.5e-3 \
	  --checkpoint .models-work/plate_det_stage2.pt
	$(PY) -m models.training.train_corners --threads 2
	$(PY) -m models.training.train_recogniser
