"""The `observability` group: health_check, telemetry_status, and the `telemetry://status` resource."""

from __future__ import annotations

import json
from typing import Any

from fastmcp import FastMCP

from mcp_server.health import liveness, readiness
from mcp_server.services import Services
from mcp_server.tool_registry import ToolRegistry

GROUP = "observability"


def register(registry: ToolRegistry, services: Services) -> None:
    """Add the observability tools and the telemetry status resource."""

    async def health_check() -> dict[str, Any]:
        """Report whether the server is healthy: data directory writable, telemetry exporters
        healthy, process slots free, execution strategy, version and uptime.

        `status` is `ready`, `degraded` (telemetry failing or no free process slot; tools still
        work) or `unready` (the data directory cannot be written). Errors: none expected.
        """
        return {**liveness(services), **readiness(services), "execution_strategy": services.execution}

    async def telemetry_status() -> dict[str, Any]:
        """Show where telemetry goes and whether exports succeed: the OTLP endpoint and protocol
        (or the embedded default traces file), sampler ratio, export interval, resource
        attributes, header names (never values), and per signal the last success, consecutive
        failures, exported and dropped counts. Errors: none expected.
        """
        return services.telemetry.status()

    registry.add(health_check, group=GROUP, read_only=True, idempotent=True)
    registry.add(telemetry_status, group=GROUP, read_only=True, idempotent=True)
    if GROUP in registry.enabled_groups:
        _add_status_resource(registry.mcp, services)


def _add_status_resource(mcp: FastMCP, services: Services) -> None:
    @mcp.resource("telemetry://status", name="telemetry_status", mime_type="application/json")
    async def telemetry_status_resource() -> str:
        """Telemetry endpoint and exporter health (the `telemetry_status` tool, as a resource)."""
        return json.dumps(services.telemetry.status())
