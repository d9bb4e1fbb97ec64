"""A third-party tool group installed as a distribution is listed, instrumented and enveloped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from mcp_server.app import build_app
from mcp_server.settings import Settings
from mcp_server.tool_registry import PLUGIN_ENTRY_POINT_GROUP
from observability import Telemetry
from observability.testing import metric_value

PLUGIN_MODULE = '''
"""A tiny mcp-observatory plugin."""

async def tiny_echo(text: str) -> dict:
    """Echo the text back."""
    return {"echo": text}


async def tiny_crash() -> dict:
    """Always fails."""
    raise RuntimeError("plugin bug")


def register(registry, services):
    registry.add(tiny_echo, group="tiny", read_only=True, idempotent=True)
    registry.add(tiny_crash, group="tiny", read_only=True)
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Install a distribution the way pip lays it out: a module and its .dist-info on sys.path."""
    site = tmp_path / "site-packages"
    dist_info = site / "tiny_observatory_plugin-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (site / "tiny_observatory_plugin.py").write_text(PLUGIN_MODULE)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-observatory-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[{PLUGIN_ENTRY_POINT_GROUP}]\ntiny = tiny_observatory_plugin:register\n")
    monkeypatch.syspath_prepend(str(site))
    return "tiny"


class TestPlugins:
    async def test_an_installed_plugins_tool_is_listed_traced_counted_and_enveloped(
        self, installed_plugin: str, settings: Settings, telemetry: Telemetry, spans: Any
    ) -> None:
        """tiny_echo appears in tools/list, answers in the success envelope, has a span and a count."""
        app = build_app(settings, telemetry)
        try:
            async with Client(app.mcp) as client:
                names = {tool.name for tool in await client.list_tools()}
                result = await client.call_tool_mcp("tiny_echo", {"text": "hi"})
        finally:
            app.services.close()
        assert {"tiny_echo", "tiny_crash"} <= names
        assert result.structured_content == {"status": "success", "result": {"echo": "hi"}}
        (span,) = [s for s in spans.get_finished_spans() if s.name == "mcp.tool.tiny_echo"]
        assert span.attributes["mcp.tool.status"] == "success"
        labels = {"mcp_tool_name": "tiny_echo", "mcp_tool_status": "success"}
        assert metric_value(telemetry, "mcp_tool_calls_total", **labels) == 1

    async def test_a_crashing_plugin_tool_is_internal_error_and_the_server_serves_on(
        self, installed_plugin: str, settings: Settings, telemetry: Telemetry
    ) -> None:
        """A plugin's exception becomes the internal_error envelope, like any tool's."""
        app = build_app(settings, telemetry)
        try:
            async with Client(app.mcp) as client:
                crashed = await client.call_tool_mcp("tiny_crash", {})
                echoed = await client.call_tool_mcp("tiny_echo", {"text": "still here"})
        finally:
            app.services.close()
        assert crashed.is_error
        assert crashed.structured_content["type"] == "internal_error"
        assert "plugin bug" not in crashed.content[0].text
        assert not echoed.is_error
        assert metric_value(telemetry, "mcp_tool_errors_total", mcp_tool_name="tiny_crash", error_type="internal_error") == 1
