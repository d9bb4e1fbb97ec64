"""The utility and observability tools through a real MCP client, including hostile input."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastmcp import Client

from mcp_server.app import App, build_app, telemetry_config
from observability import Telemetry
from observability.testing import metric_value, setup_for_tests


async def _result(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    reply = await client.call_tool_mcp(name, args)
    assert not reply.is_error, reply.content
    return reply.structured_content["result"]


async def _error(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    reply = await client.call_tool_mcp(name, args)
    assert reply.is_error
    envelope = reply.structured_content
    assert envelope["status"] == "error" and envelope["error"]
    return envelope


class TestToolListing:
    async def test_every_tool_has_a_description_schema_bounds_and_annotations(self, client: Client) -> None:
        """A model gets a docstring, typed parameters and MCP annotations for every tool."""
        tools = {tool.name: tool for tool in await client.list_tools()}
        assert {"system_info", "calculate", "context_set", "context_get", "context_list", "context_delete",
                "health_check", "telemetry_status"} <= set(tools)
        for tool in tools.values():
            assert tool.description and len(tool.description) > 40, tool.name
            assert tool.annotations is not None and tool.annotations.read_only_hint is not None, tool.name
            assert tool.output_schema["properties"]["status"]["const"] == "success"
        assert tools["calculate"].input_schema["properties"]["expression"]["maxLength"] == 2000
        assert tools["context_delete"].annotations.destructive_hint is True
        assert tools["calculate"].annotations.read_only_hint is True

    async def test_admin_tools_are_off_by_default(self, client: Client) -> None:
        """configure_telemetry (admin group) is not listed unless MCP_SERVER_TOOLS enables it."""
        assert "configure_telemetry" not in {tool.name for tool in await client.list_tools()}


class TestSystemInfo:
    async def test_second_call_is_served_from_the_cache_and_counted(self, client: Client, telemetry: Telemetry) -> None:
        """cached is false then true, and mcp_cache_requests_total counts one miss and one hit."""
        first = await _result(client, "system_info", {})
        second = await _result(client, "system_info", {})
        assert (first["cached"], second["cached"]) == (False, True)
        assert first["cpu_count_logical"] >= 1 and first["memory_total_bytes"] > 0
        assert metric_value(telemetry, "mcp_cache_requests_total", cache="system_info", result="miss") == 1
        assert metric_value(telemetry, "mcp_cache_requests_total", cache="system_info", result="hit") == 1
        refreshed = await _result(client, "system_info", {"refresh": True})
        assert refreshed["cached"] is False


class TestCalculate:
    async def test_big_integers_are_exact_in_text(self, client: Client) -> None:
        """2**100 does not fit a JSON double: value is null and text holds every digit."""
        result = await _result(client, "calculate", {"expression": "2**100"})
        assert result["value"] is None and result["text"] == str(2**100)

    @pytest.mark.parametrize(
        ("arguments", "error_type"),
        [
            ({"expression": "__import__('os').system('id')"}, "invalid_arguments"),
            ({"expression": "().__class__"}, "invalid_arguments"),
            ({"expression": "9**9**9"}, "resource_limit"),
            ({"expression": "(" * 300 + "1" + ")" * 300}, "resource_limit"),
            ({"expression": "x" * 100_000}, "invalid_arguments"),
            ({"expression": 42}, "invalid_arguments"),
            ({"expression": None}, "invalid_arguments"),
            ({}, "invalid_arguments"),
            ({"expression": "1", "extra": "field"}, "invalid_arguments"),
        ],
    )
    async def test_hostile_input_gets_a_clear_error(
        self, client: Client, arguments: dict[str, Any], error_type: str
    ) -> None:
        """Names, attributes, huge powers, deep nesting, huge strings, wrong types, unknown
        arguments: a typed error."""
        reply = await client.call_tool_mcp("calculate", arguments)
        assert reply.is_error and reply.structured_content["type"] == error_type

    async def test_hostile_calls_do_not_stop_other_calls(self, client: Client) -> None:
        """40 hostile calculations interleaved with 40 normal ones: every normal one succeeds."""
        hostile = ["9**9**9", "factorial(10**6)", "(" * 300 + "1" + ")" * 300, "1+" * 900 + "1"]
        calls = []
        for i in range(40):
            calls.append(client.call_tool_mcp("calculate", {"expression": hostile[i % len(hostile)]}))
            calls.append(client.call_tool_mcp("calculate", {"expression": f"{i} * 2"}))
        replies = await asyncio.gather(*calls)
        normal = replies[1::2]
        assert all(not r.is_error for r in normal)
        assert [r.structured_content["result"]["value"] for r in normal] == [i * 2 for i in range(40)]
        assert all(r.is_error for r in replies[0::2])


class TestContext:
    async def test_set_get_list_delete(self, client: Client) -> None:
        """The four context tools work together on a namespace."""
        await _result(client, "context_set", {"key": "plan", "value": ["a", "b"], "namespace": "agent-1"})
        await _result(client, "context_set", {"key": "note", "value": "x", "namespace": "agent-1", "ttl_s": 60})
        got = await _result(client, "context_get", {"key": "plan", "namespace": "agent-1"})
        assert got["value"] == ["a", "b"]
        listed = await _result(client, "context_list", {"namespace": "agent-1"})
        assert [e["key"] for e in listed["entries"]] == ["note", "plan"]
        assert listed["namespaces"] == {"agent-1": 2}
        await _result(client, "context_delete", {"key": "plan", "namespace": "agent-1"})
        assert (await _error(client, "context_get", {"key": "plan", "namespace": "agent-1"}))["type"] == "not_found"

    @pytest.mark.parametrize(
        ("arguments", "error_type"),
        [
            ({"key": "k", "value": "x" * 70_000}, "resource_limit"),
            ({"key": "k" * 1000, "value": 1}, "invalid_arguments"),
            ({"key": "", "value": 1}, "invalid_arguments"),
            ({"key": "k", "value": 1, "namespace": "../etc"}, "invalid_arguments"),
            ({"key": "k", "value": 1, "ttl_s": -1}, "invalid_arguments"),
            ({"key": "k", "value": 1, "ttl_s": "soon"}, "invalid_arguments"),
            ({"key": 5, "value": 1}, "invalid_arguments"),
            ({"key": "k"}, "invalid_arguments"),
        ],
    )
    async def test_hostile_input_gets_a_clear_error(
        self, client: Client, arguments: dict[str, Any], error_type: str
    ) -> None:
        """Oversized values, bad keys and namespaces, bad TTLs and wrong types are refused."""
        assert (await _error(client, "context_set", arguments))["type"] == error_type


class TestObservabilityTools:
    async def test_health_check_reports_checks(self, client: Client) -> None:
        """health_check says ready with the data dir writable and telemetry healthy."""
        health = await _result(client, "health_check", {})
        assert health["status"] == "ready" and health["ready"] is True
        assert health["checks"]["data_dir_writable"] is True
        assert health["execution_strategy"]

    async def test_telemetry_status_and_its_resource_agree(self, client: Client) -> None:
        """telemetry_status and telemetry://status show the embedded default traces file."""
        status = await _result(client, "telemetry_status", {})
        assert status["enabled"] is True and status["endpoint"] is None
        assert status["traces"]["target"].startswith("file ")
        contents = await client.read_resource("telemetry://status")
        assert json.loads(contents[0].text)["traces"]["target"] == status["traces"]["target"]


class TestTelemetryOff:
    async def test_telemetry_off_means_no_spans_and_no_series_but_working_tools(self, make_settings: Any) -> None:
        """MCP_SERVER_TELEMETRY=off: tools work, nothing is recorded."""
        settings = make_settings(telemetry="off")
        telemetry, recorder = setup_for_tests(telemetry_config(settings))
        built: App = build_app(settings, telemetry)
        try:
            async with Client(built.mcp) as client:
                assert not (await client.call_tool_mcp("calculate", {"expression": "1"})).is_error
                status = (await client.call_tool_mcp("telemetry_status", {})).structured_content["result"]
        finally:
            built.services.close()
        assert status["enabled"] is False
        assert not [s for s in recorder.get_finished_spans() if s.name.startswith("mcp.tool")]
        assert metric_value(telemetry, "mcp_tool_calls_total") == 0
