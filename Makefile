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

## stack: the server with the bundled Collector, Jaeger, Prometheus and Grafana (Docker)
COMPOSE ?= docker compose
stack: .env
	$(COMPOSE) up -d --build --wait
	@echo "Grafana:    http://localhost:3000  (dashboards: MCP Tools (RED), MCP Runtime; admin password in .env)"
	@echo "Jaeger UI:  http://localhost:16686"
	@echo "Prometheus: http://localhost:9090  (alerts: http://localhost:9090/alerts)"
	@echo "MCP:        http://localhost:8000/mcp  (Authorization: Bearer <MCP_SERVER_AUTH_TOKEN from .env>)"

# Fresh random secrets for the stack, readable by you only; never committed (.gitignore).
.env:
	@umask 077; { \
	  echo "MCP_SERVER_AUTH_TOKEN=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))')"; \
	  echo "GRAFANA_ADMIN_PASSWORD=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(18))')"; \
	} > $@
	@echo "wrote $@ with a new MCP_SERVER_AUTH_TOKEN and GRAFANA_ADMIN_PASSWORD"

stack-down:
	$(COMPOSE) down

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
