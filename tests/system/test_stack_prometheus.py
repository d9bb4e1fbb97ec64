"""Every dashboard and alert expression returns data from a real Prometheus scraping a real server.

A server subprocess serves HTTP and sends its traces over OTLP/HTTP (a local receiver stands
in for the Collector, as in compose); the real Prometheus of the Debian package scrapes its
`/metrics` every second, with the repository's prometheus.yml (only the target, the
intervals and the rule-file path changed) and alerts.yml. A background client keeps mixed
traffic going the whole time: successes, errors of several types, cache hits and misses,
sessionless calls and handshake sessions that open and close. Then each query runs the way
Grafana sends it, variables filled in, and must return at least one finite value.
"""

from __future__ import annotations

import asyncio
import math
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastmcp import Client

from tests.conftest import require_binary
from tests.helpers import promql
from tests.helpers.otlp_receiver import HttpOtlpReceiver, Received
from tests.helpers.prometheus_process import PrometheusServer
from tests.helpers.server_process import HttpServer, free_port, server_env
from tests.helpers.stack_files import (
    PROMETHEUS_DIR,
    Query,
    alert_rules,
    compose,
    dashboard_files,
    dashboard_queries,
    datasource_queries,
    dockerfile_health_probe,
    interpolate,
    load_dashboard,
    load_yaml,
    rate_interval,
    variables,
)

SCRAPE_S = 1.0
INTERVAL_S = 2.0  # Grafana's $__interval for a short range on a narrow panel
SERVER_JOB = "mcp-observatory"
# One round of traffic: each tool call with the outcome it is there for.
_ROUND: list[tuple[str, dict[str, Any]]] = [
    ("calculate", {"expression": "2**10 + sqrt(16)"}),  # success
    ("calculate", {"expression": "1/0"}),  # invalid_arguments
    ("calculate", {"expression": 42}),  # invalid_arguments (schema)
    ("context_set", {"key": "k", "value": {"n": 1}}),
    ("context_get", {"key": "k"}),
    ("context_get", {"key": "absent"}),  # not_found
    ("system_info", {}),  # cache hit after the first round
    ("system_info", {"refresh": True}),  # cache miss
    ("health_check", {}),
    ("telemetry_status", {}),
]


def _alert_queries() -> list[Query]:
    """Alert expressions select only while firing (`ratio > 0.05`); evaluate what they compare."""
    return [
        Query("alerts.yml", f"{rule['alert']} (operand {index + 1})", expr)
        for rule in alert_rules()
        for index, expr in enumerate(promql.underlying_expressions(rule["expr"]))
    ]


_ALL_QUERIES = [*dashboard_queries(), *datasource_queries(), *_alert_queries()]


@dataclass
class Traffic:
    """Mixed tool calls in a background thread until stopped."""

    url: str
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    async def _round(self) -> None:
        async with Client(self.url) as client:
            for name, arguments in _ROUND:
                await client.call_tool_mcp(name, arguments)
        async with Client(self.url, mode="legacy") as client:  # a session that opens and ends
            await client.call_tool_mcp("calculate", {"expression": "6*7"})

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._round()
            # The test thread reports this; an exception here would only kill the thread.
            except Exception as exc:  # noqa: BLE001
                self.failures.append(repr(exc))
            await asyncio.sleep(0.05)

    def start(self) -> Traffic:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)


@dataclass
class LiveStack:
    prometheus: PrometheusServer
    server: HttpServer
    traffic: Traffic
    values: dict[str, str]
    traces: Received


def _prometheus_config(target: str) -> dict[str, Any]:
    """The repository's prometheus.yml aimed at the test server, scraping every second.

    Only the server's job is kept: the Collector and Jaeger cannot run here.
    """
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == SERVER_JOB]
    job["static_configs"] = [{"targets": [target]}]
    config["scrape_configs"] = [job]
    config["global"] = {
        "scrape_interval": f"{SCRAPE_S:g}s",
        "evaluation_interval": f"{SCRAPE_S:g}s",
    }
    config["rule_files"] = [str(PROMETHEUS_DIR / name) for name in config["rule_files"]]
    return config


def _wait_for_scrapes(
    prometheus: PrometheusServer, traffic: Traffic, scrapes: int, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    expr = f'count_over_time(up{{job="{SERVER_JOB}"}}[1m]) >= {scrapes} and up{{job="{SERVER_JOB}"}} == 1'
    while time.monotonic() < deadline:
        if traffic.failures:
            pytest.fail(f"traffic failed: {traffic.failures[:3]}")
        if prometheus.query(expr):
            return
        time.sleep(0.5)
    pytest.fail(f"Prometheus did not scrape the server {scrapes} times: {prometheus.query('up')}")


def _resolve_variables(prometheus: PrometheusServer) -> dict[str, str]:
    """Values Grafana would give the dashboards' variables: job and instance from Prometheus.

    Every dashboard declares the same variables (tests/unit/stack/test_dashboards.py).
    """
    values = {
        "__interval": f"{INTERVAL_S:g}s",
        "__rate_interval": f"{rate_interval(INTERVAL_S, SCRAPE_S):g}s",
        "__tags": 'mcp_tool_name="calculate"',  # what tracesToMetrics puts for a calculate span
    }
    for variable in variables(load_dashboard(dashboard_files()[0])):
        if variable["type"] == "constant":
            values[variable["name"]] = variable["query"]
            continue
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["query"])
        assert match, variable["query"]
        found = prometheus.label_values(match.group(2), interpolate(match.group(1), values))
        assert found, f"variable ${variable['name']} has no value"
        values[variable["name"]] = variable["allValue"] if variable.get("includeAll") else found[0]
        values[f"{variable['name']}:found"] = ",".join(found)
    return values


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """Server, OTLP trace receiver, Prometheus and traffic, up until the module's tests end."""
    binary = require_binary("prometheus")
    base = tmp_path_factory.mktemp("stack")
    (base / "root").mkdir()
    with HttpOtlpReceiver() as receiver:
        env = server_env(
            base / "data",
            base / "root",
            {
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{receiver.endpoint}/v1/traces",
                "OTEL_BSP_SCHEDULE_DELAY": "500",
            },
        )
        with HttpServer(env) as server:
            traffic = Traffic(server.url).start()
            config = _prometheus_config(server.base_url.removeprefix("http://"))
            prometheus = PrometheusServer(binary, config, base / "prometheus")
            try:
                prometheus.wait_ready()
                _wait_for_scrapes(prometheus, traffic, scrapes=6)
                values = _resolve_variables(prometheus)
                yield LiveStack(prometheus, server, traffic, values, receiver.received)
            finally:
                traffic.stop()
                prometheus.stop()


class TestVariables:
    def test_job_and_instance_resolve_to_the_scraped_server(self, stack: LiveStack) -> None:
        """label_values(...) finds exactly the scrape job and the server's address."""
        assert stack.values["job:found"] == SERVER_JOB
        assert stack.values["instance:found"] == stack.server.base_url.removeprefix("http://")


@pytest.mark.parametrize("query", [pytest.param(q, id=q.id) for q in _ALL_QUERIES])
def test_expression_returns_data(stack: LiveStack, query: Query) -> None:
    """The query, as Grafana (or the rule engine) sends it, returns at least one finite value.

    Every label the panel's legend names ({{mcp_tool_name}}) is on every series returned.
    """
    expr = interpolate(query.expr, stack.values)
    now = time.time()
    result = stack.prometheus.query_range(expr, start=now - 5, end=now, step=SCRAPE_S)
    finite = [
        value for series in result for _, value in series["values"] if math.isfinite(float(value))
    ]
    assert finite, f"{query.id} returned no data: {expr}"
    legend_labels = re.findall(r"\{\{\s*(\w+)\s*\}\}", query.legend)
    for series in result:
        assert all(series["metric"].get(label) for label in legend_labels), (query.id, series)
    assert not stack.traffic.failures, stack.traffic.failures[:3]


class TestTraceLinksMatchTheSpans:
    def test_spans_carry_the_service_and_operation_the_jaeger_links_search(
        self, stack: LiveStack
    ) -> None:
        """Spans sent over OTLP are `mcp.tool.<tool>` of service $service, as the links assume."""
        assert stack.traces.wait_for(
            lambda received: "mcp.tool.calculate" in {span.name for span in received.spans()}
        )
        services = {resource.get("service.name") for resource in stack.traces.resources()}
        assert services == {stack.values["service"]}


class TestRulesOnPrometheus:
    def test_every_alert_rule_is_loaded_and_evaluates_without_error(self, stack: LiveStack) -> None:
        """The real rule engine loaded alerts.yml and each rule's last evaluation was healthy."""
        groups = stack.prometheus.get("/api/v1/rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        health = {rule["name"]: (rule["health"], rule.get("lastError", "")) for rule in rules}
        assert health == {rule["alert"]: ("ok", "") for rule in alert_rules()}
        # The fixture waited for several scrapes at a 1 s evaluation interval: each rule ran.
        assert all(not rule["lastEvaluation"].startswith("0001") for rule in rules)

    def test_error_ratio_alert_goes_pending_for_exactly_the_failing_tools(
        self, stack: LiveStack
    ) -> None:
        """Half of calculate's and context_get's calls fail: those two alerts are pending, no other.

        Pending, not firing: the rule holds for 10 minutes before it fires (promtool tests that).
        """
        alerts = stack.prometheus.get("/api/v1/alerts")["alerts"]
        assert {
            (a["labels"]["alertname"], a["labels"].get("mcp_tool_name"), a["state"]) for a in alerts
        } == {
            ("MCPToolHighErrorRatio", "calculate", "pending"),
            ("MCPToolHighErrorRatio", "context_get", "pending"),
        }


class TestHealthProbes:
    def _probe(self, command: list[str], port: int) -> subprocess.CompletedProcess[str]:
        """Run a container health-check command here, aimed at the test server's port."""
        command = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in command]
        assert command[0] == "python"
        return subprocess.run(
            [sys.executable, *command[1:]],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def test_compose_and_dockerfile_probes_pass_against_the_real_server(
        self, stack: LiveStack
    ) -> None:
        """The server's health checks (compose and image) succeed on a live server."""
        port = int(stack.server.base_url.rsplit(":", 1)[1])
        compose_probe = compose()["services"]["mcp-observatory"]["healthcheck"]["test"][1:]
        image_probe = dockerfile_health_probe()
        for command in (compose_probe, image_probe):
            result = self._probe(command, port)
            assert result.returncode == 0, result.stderr

    def test_server_probe_fails_when_nothing_listens(self) -> None:
        """The same probe exits non-zero when the server is not there (it can fail)."""
        compose_probe = compose()["services"]["mcp-observatory"]["healthcheck"]["test"][1:]
        result = self._probe(compose_probe, free_port())
        assert result.returncode != 0

    def test_prometheus_probe_path_answers_on_real_prometheus(self, stack: LiveStack) -> None:
        """Compose's Prometheus health check asks a path that real Prometheus serves."""
        probe = compose()["services"]["prometheus"]["healthcheck"]["test"]
        path = probe[-1].split("9090", 1)[1]
        with urllib.request.urlopen(stack.prometheus.url + path, timeout=5) as response:
            assert response.status == 200
