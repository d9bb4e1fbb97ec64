"""Build the FastMCP server: middleware, tools by group, plugins, resources and HTTP routes."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from fastmcp import FastMCP

from mcp_server import __version__
from mcp_server.errors import ERROR_TYPES, error_type_of
from mcp_server.http.openapi import build_openapi_route
from mcp_server.http.rest import build_rest_routes
from mcp_server.http.routes import build_routes
from mcp_server.middleware.errors import ErrorEnvelopeMiddleware
from mcp_server.services import Services, build_services
from mcp_server.settings import TOOL_GROUPS, Settings
from mcp_server.tool_registry import ToolRegistry
from observability import ExportConfig, Telemetry, TelemetryConfig, TelemetryMiddleware

SERVER_NAME = "mcp-observatory"
# Group -> module with `register(registry, services)`; a group whose module is absent is skipped.
GROUP_MODULES: dict[str, str] = {
    "commands": "mcp_server.tools.commands",
    "files": "mcp_server.tools.files",
    "dev": "mcp_server.tools.dev",
    "utility": "mcp_server.tools.utility",
    "observability": "mcp_server.tools.observability",
    "admin": "mcp_server.tools.admin",
}
# Argument names whose values are payloads (recorded as a byte count) or maps of secrets.
PAYLOAD_ARGUMENTS = frozenset({"content", "stdin", "input", "text", "data", "source", "old_text", "new_text", "value"})
MASKED_VALUE_ARGUMENTS = frozenset({"env", "headers"})

INSTRUCTIONS = """\
mcp-observatory gives you tools to run shell commands and manage background processes
(commands group), read, write, edit and search files (files), analyse Python code, sample
system performance and run test suites (dev), get system facts, do safe arithmetic and keep
shared key-value context (utility), and check the server's health and telemetry (observability).

Limits: file and command tools work only inside the server's allowed roots; commands pass a
command policy (a blocklist or allowlist) and may run in a sandbox without network; output is
capped and long runs time out. Every result is {"status": "success", "result": ...}; failures
are isError results with {"status": "error", "error": "...", "type": "<error type>"} where type
is one of: invalid_arguments, blocked_command, path_outside_roots, not_found, already_exists,
permission_denied, timeout, resource_limit, too_many_processes, process_not_found,
binary_file, unauthorized, internal_error. Every call is traced and measured.
"""


def _otlp_header_values() -> list[str]:
    """Values of OTEL_EXPORTER_OTLP_*HEADERS (`k=v,k2=v2`): secrets to keep out of telemetry."""
    values = []
    for name in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"):
        for pair in os.environ.get(name, "").split(","):
            _key, sep, value = pair.partition("=")
            if sep and value.strip():
                values.append(unquote(value.strip()))
    return values


def export_config(settings: Settings) -> ExportConfig:
    """The runtime-changeable part of the telemetry settings (start-up and SIGHUP)."""
    headers = settings.otlp_headers
    return ExportConfig(
        endpoint=settings.otlp_endpoint,
        traces_endpoint=settings.otlp_traces_endpoint,
        metrics_endpoint=settings.otlp_metrics_endpoint,
        protocol=settings.otlp_protocol,
        headers=None if headers is None else {name: value.get_secret_value() for name, value in headers.items()},
        sampler_ratio=settings.sampler_ratio,
        export_interval_ms=settings.export_interval_ms,
        resource_attributes=dict(settings.resource_attributes),
    )


def telemetry_config(settings: Settings) -> TelemetryConfig:
    """The telemetry library's view of the settings (no second source of truth)."""
    export = export_config(settings)
    tokens = (settings.auth_token, settings.admin_token)
    secrets = tuple(token.get_secret_value() for token in tokens if token is not None)
    return TelemetryConfig(
        service_name=settings.otel_service_name,
        service_version=__version__,
        enabled=settings.telemetry_enabled,
        export=export,
        traces_file=settings.effective_traces_file,
        traces_file_max_bytes=settings.traces_file_max_bytes,
        record_arguments=settings.record_arguments == "redacted",
        payload_keys=PAYLOAD_ARGUMENTS,
        masked_value_keys=MASKED_VALUE_ARGUMENTS,
        secrets=secrets + tuple((export.headers or {}).values()) + tuple(_otlp_header_values()),
        log_level=settings.log_level,
        log_format=settings.log_format,
    )


def classify_outcome(outcome: Any) -> str | None:
    """Error type of a tool call's outcome: an exception, or a result with `isError`."""
    if isinstance(outcome, BaseException):
        return error_type_of(outcome)
    if not getattr(outcome, "is_error", False):
        return None
    structured = getattr(outcome, "structured_content", None) or {}
    reported = structured.get("type") if isinstance(structured, dict) else None
    return reported if reported in ERROR_TYPES else "internal_error"


@dataclass
class App:
    """The assembled server and what it was built from."""

    mcp: FastMCP
    services: Services
    registry: ToolRegistry


def build_app(settings: Settings, telemetry: Telemetry, services: Services | None = None) -> App:
    """Assemble the server for `settings`.

    Args:
        settings: the effective settings.
        telemetry: the runtime from `observability.setup(telemetry_config(settings))`.
        services: shared parts; built from the settings when None.

    Returns:
        The App; `app.mcp` runs on any transport, `app.mcp.http_app()` has every HTTP route.
    """
    services = services or build_services(settings, telemetry)
    mcp = FastMCP(
        name=SERVER_NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        mask_error_details=True,
    )
    registry = ToolRegistry(mcp, settings.tools, TOOL_GROUPS)
    mcp.add_middleware(ErrorEnvelopeMiddleware())
    if telemetry.enabled:
        mcp.add_middleware(TelemetryMiddleware(telemetry, classify=classify_outcome, is_known_tool=registry.is_known))
    for group, module_name in GROUP_MODULES.items():
        if group not in settings.tools:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(registry, services)
    registry.load_plugins(services)
    routes = [*build_routes(services), *build_rest_routes(mcp, registry), build_openapi_route(mcp, registry, settings)]
    for route in routes:
        mcp.custom_route(route.path, methods=sorted(route.methods or ()))(route.endpoint)
    return App(mcp=mcp, services=services, registry=registry)
