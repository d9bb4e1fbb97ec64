"""Structure of the stack's configs: Collector, Jaeger, compose wiring, ports, Dockerfile.

Neither the Collector nor Jaeger can run on this machine (no package, no Docker engine), so
their configs get a structural check: every component a pipeline names is declared, every
declared one is used, connectors join pipelines, names are the current ones, and every
host:port one service uses to reach another is one that service listens on.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.helpers.stack_files import (
    COLLECTOR_FILE,
    JAEGER_FILE,
    PROMETHEUS_DIR,
    REPO,
    compose,
    datasources,
    dockerfile_health_probe,
    dockerfile_instructions,
    load_yaml,
)

_KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")
# Deprecated aliases of renamed Collector components (snake_case renames, 0.14x).
_DEPRECATED = {
    "otlphttp": "otlp_http",
    "spanmetrics": "span_metrics",
    "prometheusremotewrite": "prometheus_remote_write",
    "logging": "debug",
    "memorylimiter": "memory_limiter",
}
_ENV_DEFAULT = re.compile(r"\$\{env:\w+:-([^}]*)\}")
_CONFIGS = [
    pytest.param(COLLECTOR_FILE, id="otel-collector"),
    pytest.param(JAEGER_FILE, id="jaeger"),
]


def _port(endpoint: str) -> int:
    """Port of `host:port` or a URL, after the Collector's `${env:X:-default}` expansion."""
    endpoint = _ENV_DEFAULT.sub(r"\1", endpoint)
    if "://" in endpoint:
        port = urlsplit(endpoint).port
        assert port is not None, endpoint
        return port
    return int(endpoint.rsplit(":", 1)[1])


def _host(endpoint: str) -> str:
    endpoint = _ENV_DEFAULT.sub(r"\1", endpoint)
    return urlsplit(endpoint if "://" in endpoint else f"tcp://{endpoint}").hostname or ""


def _telemetry_listener(config: dict[str, Any]) -> tuple[str, int]:
    """Host and port where a Collector-based config serves its own metrics."""
    exporter = config["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]
    return exporter["prometheus"]["host"], int(exporter["prometheus"]["port"])


def _pipeline_uses(config: dict[str, Any]) -> dict[str, set[str]]:
    """Component ids used per kind, over all pipelines and the service's extensions."""
    used: dict[str, set[str]] = {kind: set() for kind in _KINDS}
    used["extensions"] = set(config["service"].get("extensions", []))
    for pipeline in config["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            used[kind].update(pipeline.get(kind, []))
    connectors = set(config.get("connectors", {}))
    used["connectors"] = (used["receivers"] | used["exporters"]) & connectors
    used["receivers"] -= connectors
    used["exporters"] -= connectors
    return used


def _published(service: str) -> set[int]:
    """Container ports a compose service publishes (host side is loopback-only)."""
    ports = set()
    for mapping in compose()["services"][service].get("ports", []):
        host_ip, _host_port, container = str(mapping).split(":")
        assert host_ip == "127.0.0.1", f"{service} publishes {mapping} beyond loopback"
        ports.add(int(container))
    return ports


@pytest.mark.parametrize("path", _CONFIGS)
class TestPipelines:
    def test_every_component_used_is_declared_and_every_declared_is_used(self, path: Path) -> None:
        """No pipeline names a missing component, and no component is left dangling."""
        config = load_yaml(path)
        used = _pipeline_uses(config)
        for kind in _KINDS:
            assert used[kind] == set(config.get(kind) or {}), kind

    def test_connectors_leave_one_pipeline_and_enter_another(self, path: Path) -> None:
        """A connector is an exporter of some pipeline and a receiver of another."""
        config = load_yaml(path)
        pipelines = config["service"]["pipelines"].values()
        for connector in config.get("connectors") or {}:
            assert any(connector in pipeline["exporters"] for pipeline in pipelines), connector
            assert any(connector in pipeline["receivers"] for pipeline in pipelines), connector

    def test_pipelines_have_a_signal_type_and_both_ends(self, path: Path) -> None:
        """Each pipeline is traces/metrics/logs[/name] with receivers and exporters."""
        for name, pipeline in load_yaml(path)["service"]["pipelines"].items():
            assert name.split("/")[0] in {"traces", "metrics", "logs"}, name
            assert pipeline.get("receivers") and pipeline.get("exporters"), name

    def test_component_names_are_the_current_ones(self, path: Path) -> None:
        """No deprecated alias (otlphttp, spanmetrics, ...) and no `otlp` exporter (now otlp_grpc)."""
        config = load_yaml(path)
        for kind in _KINDS:
            for component in config.get(kind) or {}:
                assert component.split("/")[0] not in _DEPRECATED, component
        assert all(e.split("/")[0] != "otlp" for e in config.get("exporters", {})), "use otlp_grpc"


class TestCollector:
    def test_memory_limiter_runs_first_and_batch_in_every_pipeline(self) -> None:
        """The limiter must see data before anything buffers it (Collector guidance)."""
        for name, pipeline in load_yaml(COLLECTOR_FILE)["service"]["pipelines"].items():
            assert pipeline["processors"][0] == "memory_limiter", name
            assert "batch" in pipeline["processors"], name

    def test_traces_go_to_jaeger_and_span_metrics_to_prometheus(self) -> None:
        """Traces reach Jaeger over OTLP; the span_metrics connector feeds the metrics pipeline."""
        pipelines = load_yaml(COLLECTOR_FILE)["service"]["pipelines"]
        assert {"otlp_grpc/jaeger", "span_metrics"} <= set(pipelines["traces"]["exporters"])
        assert "span_metrics" in pipelines["metrics"]["receivers"]
        assert "prometheus" in pipelines["metrics"]["exporters"]

    def test_otlp_receivers_take_grpc_and_http_on_the_standard_ports(self) -> None:
        """4317 for gRPC and 4318 for HTTP, both published on the host's loopback."""
        protocols = load_yaml(COLLECTOR_FILE)["receivers"]["otlp"]["protocols"]
        assert _port(protocols["grpc"]["endpoint"]) == 4317
        assert _port(protocols["http"]["endpoint"]) == 4318
        assert {4317, 4318} <= _published("otel-collector")

    def test_listeners_default_to_loopback_and_compose_opens_them(self) -> None:
        """Outside compose every listener is on 127.0.0.1; compose sets OTEL_COLLECTOR_HOST."""
        config = load_yaml(COLLECTOR_FILE)
        telemetry_host, telemetry_port = _telemetry_listener(config)
        listeners = [
            *(
                protocol["endpoint"]
                for protocol in config["receivers"]["otlp"]["protocols"].values()
            ),
            config["extensions"]["health_check"]["endpoint"],
            config["exporters"]["prometheus"]["endpoint"],
            f"{telemetry_host}:{telemetry_port}",
        ]
        assert {_host(listener) for listener in listeners} == {"127.0.0.1"}
        environment = compose()["services"]["otel-collector"]["environment"]
        assert environment["OTEL_COLLECTOR_HOST"] == "0.0.0.0"


class TestPortsAgree:
    def test_server_sends_traces_to_the_collectors_http_receiver(self) -> None:
        """OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names the collector service and its OTLP/HTTP port."""
        environment = compose()["services"]["mcp-observatory"]["environment"]
        url = urlsplit(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
        protocols = load_yaml(COLLECTOR_FILE)["receivers"]["otlp"]["protocols"]
        assert (url.hostname, url.port, url.path) == (
            "otel-collector",
            _port(protocols["http"]["endpoint"]),
            "/v1/traces",
        )
        assert environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
        assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in environment, "metrics must not also be pushed"

    def test_collector_reaches_jaegers_otlp_grpc_receiver(self) -> None:
        """The Collector's Jaeger exporter points at the jaeger service's OTLP gRPC port."""
        endpoint = load_yaml(COLLECTOR_FILE)["exporters"]["otlp_grpc/jaeger"]["endpoint"]
        jaeger = load_yaml(JAEGER_FILE)
        assert _host(endpoint) == "jaeger" and "jaeger" in compose()["services"]
        assert _port(endpoint) == _port(
            jaeger["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
        )

    def test_prometheus_scrapes_ports_that_listen(self) -> None:
        """Each scrape target is a compose service on the port its config listens on."""
        collector, jaeger = load_yaml(COLLECTOR_FILE), load_yaml(JAEGER_FILE)
        server_port = compose()["services"]["mcp-observatory"]["environment"]["MCP_SERVER_PORT"]
        expected = {
            "mcp-observatory": f"mcp-observatory:{server_port}",
            "otel-collector": f"otel-collector:{_port(collector['exporters']['prometheus']['endpoint'])}",
            "otel-collector-internal": f"otel-collector:{_telemetry_listener(collector)[1]}",
            "jaeger": f"jaeger:{_telemetry_listener(jaeger)[1]}",
            "prometheus": "localhost:9090",
        }
        jobs = load_yaml(PROMETHEUS_DIR / "prometheus.yml")["scrape_configs"]
        targets = {job["job_name"]: job["static_configs"][0]["targets"][0] for job in jobs}
        assert targets == expected

    def test_grafana_and_jaeger_reach_prometheus_and_jaeger_query(self) -> None:
        """Data-source URLs and Jaeger's metrics backend name services and their listening ports."""
        jaeger = load_yaml(JAEGER_FILE)
        query_port = _port(jaeger["extensions"]["jaeger_query"]["http"]["endpoint"])
        sources = datasources()
        assert sources["prometheus"]["url"] == "http://prometheus:9090"
        assert sources["jaeger"]["url"] == f"http://jaeger:{query_port}"
        backend = jaeger["extensions"]["jaeger_storage"]["metric_backends"]["promstore"][
            "prometheus"
        ]
        assert backend["endpoint"] == "http://prometheus:9090"
        assert query_port in _published("jaeger") and 9090 in _published("prometheus")

    def test_jaeger_health_check_probes_its_health_extension(self) -> None:
        """Compose's probe of Jaeger asks the healthcheckv2 extension on its own port."""
        extension = load_yaml(JAEGER_FILE)["extensions"]["healthcheckv2"]
        probe = compose()["services"]["jaeger"]["healthcheck"]["test"]
        assert urlsplit(probe[-1]).port == _port(extension["http"]["endpoint"])


class TestCompose:
    def test_every_bind_mount_source_exists(self) -> None:
        """Each ./file or ./folder a service mounts is in the repository."""
        for name, service in compose()["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("./"):
                    assert (REPO / source).exists(), f"{name} mounts missing {source}"

    def test_config_flags_name_the_mounted_files(self) -> None:
        """`--config=...` of the Collector and Jaeger is where compose mounts their file."""
        for name, source in (("otel-collector", COLLECTOR_FILE), ("jaeger", JAEGER_FILE)):
            service = compose()["services"][name]
            (flag,) = [
                argument for argument in service["command"] if argument.startswith("--config=")
            ]
            relative = f"./{source.relative_to(REPO)}"
            assert f"{relative}:{flag.removeprefix('--config=')}:ro" in service["volumes"], name

    def test_images_are_pinned_by_tag(self) -> None:
        """Every image has an explicit version tag, never `latest`."""
        for name, service in compose()["services"].items():
            image = service["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image else ""
            assert tag and tag != "latest", f"{name}: {image}"

    def test_dependencies_wait_for_health_where_a_probe_exists(self) -> None:
        """depends_on uses service_healthy on every service that has a health check."""
        services = compose()["services"]
        for name, service in services.items():
            for dependency, condition in service.get("depends_on", {}).items():
                wanted = (
                    "service_healthy"
                    if "healthcheck" in services[dependency]
                    else "service_started"
                )
                assert condition == {"condition": wanted}, f"{name} -> {dependency}"

    def test_no_secret_has_a_value_in_the_file(self) -> None:
        """Tokens and passwords come from the environment and are required, never defaulted."""
        for service in compose()["services"].values():
            for key, value in (service.get("environment") or {}).items():
                if any(word in key for word in ("TOKEN", "PASSWORD", "SECRET")):
                    assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", str(value)), key


class TestDockerfile:
    def test_final_stage_is_slim_python_and_runs_as_a_non_root_user(self) -> None:
        """The image the server runs in is python:3.11-slim with a numeric non-root USER."""
        instructions = dockerfile_instructions()
        final_from = [value for op, value in instructions if op == "FROM"][-1]
        assert final_from.split()[0] == "python:3.11-slim"
        (user,) = [value for op, value in instructions if op == "USER"]
        assert user.split(":")[0] not in {"root", "0"}

    def test_health_check_asks_healthz(self) -> None:
        """HEALTHCHECK probes /healthz on the port the server is told to serve."""
        instructions = dict(dockerfile_instructions())
        probe = dockerfile_health_probe()
        assert "/healthz" in probe[-1] and "127.0.0.1:8000" in probe[-1]
        command = json.loads(instructions["CMD"])
        assert (
            command[command.index("--port") + 1] == "8000"
            and command[command.index("--host") + 1] == "0.0.0.0"
        )

    def test_every_copied_path_exists(self) -> None:
        """COPY sources are in the repository (a build fails on a missing one)."""
        for op, value in dockerfile_instructions():
            if op == "COPY" and "--from=" not in value:
                for source in shlex.split(value)[:-1]:
                    assert (REPO / source).exists(), source

    def test_build_context_keeps_what_pip_install_needs(self) -> None:
        """.dockerignore drops everything but the metadata and every package pyproject names."""
        patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()]
        patterns = [line for line in patterns if line and not line.startswith("#")]
        assert patterns[0] == "*"
        kept = {line.removeprefix("!").rstrip("/") for line in patterns if line.startswith("!")}
        pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
        packages = {
            name.rstrip("*")
            for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
        }
        assert {"pyproject.toml", pyproject["project"]["readme"], *packages} <= kept
