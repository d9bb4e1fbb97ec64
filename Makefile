# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-test system-deps bench stack stack-down clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -e '.[test,bench]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: serve MCP over streamable HTTP on $(HOST):$(PORT) with the embedded default telemetry
run: install
	$(VENV)/bin/mcp-observatory serve --transport http --host $(HOST) --port $(PORT)

## system-deps: Debian packages the system tests use (prometheus, bubblewrap, docker-compose)
system-deps:
	@scripts/install-system-deps.sh

## test: the whole suite (unit, integration, system)
test: install-test system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

## bench: the benchmarks of bench/ (results in bench/results/)
bench: install-test
	$(PY) bench/run_all.py

## stack: the bundled Collector, Jaeger, Prometheus and Grafana with the server (Docker)
stack:
	docker compose up -d --build
	@echo "Grafana:    http://localhost:3000  (dashboards: MCP Tools RED, MCP Runtime)"
	@echo "Jaeger UI:  http://localhost:16686"
	@echo "Prometheus: http://localhost:9090"
	@echo "MCP:        http://localhost:8000/mcp"

stack-down:
	docker compose down

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
