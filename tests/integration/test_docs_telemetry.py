"""docs/telemetry.md lists every metric the server exposes, by its Prometheus name."""

from __future__ import annotations

import re
from pathlib import Path

from fastmcp import Client

from mcp_server.app import App
from observability import Telemetry

DOC = Path(__file__).resolve().parents[2] / "docs" / "telemetry.md"


class TestTelemetryDoc:
    async def test_every_exposed_metric_family_is_documented(self, app: App, telemetry: Telemetry) -> None:
        """Make calls (success, error, cache hit, session), then compare /metrics with the doc."""
        async with Client(app.mcp, mode="legacy") as client:
            await client.call_tool_mcp("calculate", {"expression": "1"})
            await client.call_tool_mcp("context_get", {"key": "nope"})
            await client.call_tool_mcp("system_info", {})
            await client.call_tool_mcp("system_info", {})
        documented = set(re.findall(r"`([a-z_]+)`", DOC.read_text()))
        exposed = {
            sample.name
            for family in telemetry.registry.collect()
            for sample in family.samples
            if family.name != "target"
        }
        missing = sorted(name for name in exposed if name not in documented)
        assert missing == []

    def test_every_span_attribute_of_the_spec_is_documented(self) -> None:
        """The SPEC 9.1 attribute names all appear in the doc."""
        text = DOC.read_text()
        for attribute in (
            "mcp.tool.name",
            "mcp.tool.arguments",
            "mcp.tool.status",
            "error.type",
            "mcp.method.name",
            "gen_ai.tool.name",
            "gen_ai.operation.name",
            "mcp.session.id",
            "jsonrpc.request.id",
            "mcp.protocol.version",
            "network.transport",
        ):
            assert f"`{attribute}`" in text, attribute
