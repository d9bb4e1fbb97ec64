"""The real server over stdio and streamable HTTP, both protocol eras, with real clients."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from mcp_server import __version__
from tests.helpers.server_process import HttpServer, free_port, server_env

EXPECTED_TOOLS = {"calculate", "system_info", "context_set", "context_get", "context_list", "context_delete"}


def _stdio_transport(env: dict[str, str], *args: str) -> StdioTransport:
    return StdioTransport(
        command=sys.executable, args=["-m", "mcp_server", "serve", "--transport", "stdio", *args], env=env
    )


async def _exercise(client: Client) -> None:
    """List tools, call one that works and one that fails, then one that works again."""
    names = {tool.name for tool in await client.list_tools()}
    assert EXPECTED_TOOLS <= names
    ok = await client.call_tool_mcp("calculate", {"expression": "6*7"})
    assert not ok.is_error
    assert ok.structured_content == {
        "status": "success",
        "result": {"expression": "6*7", "value": 42, "text": "42", "type": "int"},
    }
    bad = await client.call_tool_mcp("calculate", {"expression": "open('/etc/passwd')"})
    assert bad.is_error
    envelope = json.loads(bad.content[0].text)
    assert envelope["status"] == "error" and envelope["type"] == "invalid_arguments"
    wrong_type = await client.call_tool_mcp("context_get", {"key": ["not", "a", "string"]})
    assert wrong_type.is_error and wrong_type.structured_content["type"] == "invalid_arguments"
    again = await client.call_tool_mcp("calculate", {"expression": "1+1"})
    assert not again.is_error


@pytest.fixture
def env(tmp_path: Path, root_dir: Path) -> dict[str, str]:
    return server_env(tmp_path / "data", root_dir)


class TestStdio:
    async def test_both_eras_list_and_call_tools(self, env: dict[str, str], era: str) -> None:
        """A stdio client in either era lists the tools, gets envelopes, and the server keeps serving."""
        async with Client(_stdio_transport(env), mode=era) as client:
            await _exercise(client)
            if client.initialize_result is not None:
                assert client.initialize_result.server_info.name == "mcp-observatory"
                assert client.initialize_result.server_info.version == __version__
                assert "allowed roots" in (client.initialize_result.instructions or "")

    def test_stdout_carries_nothing_but_json_rpc(self, env: dict[str, str]) -> None:
        """Raw session: every stdout line is a JSON-RPC 2.0 message, logs go to stderr."""
        messages = [
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
            },
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "calculate", "arguments": {"expression": "2**8"}}},
            {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "calculate", "arguments": {"expression": "x"}}},
            {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "system_info", "arguments": {}}},
        ]
        process = subprocess.Popen(
            [sys.executable, "-m", "mcp_server", "serve", "--transport", "stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        process.stdin.flush()
        parsed = []
        while len([m for m in parsed if "id" in m]) < 5:
            line = process.stdout.readline()
            assert line, "server closed stdout early"
            parsed.append(json.loads(line))
        process.stdin.close()
        rest = process.stdout.read()
        stderr = process.stderr.read() if process.stderr else ""
        process.wait(30)
        parsed += [json.loads(line) for line in rest.splitlines() if line.strip()]
        assert all(message.get("jsonrpc") == "2.0" for message in parsed)
        by_id = {message.get("id"): message for message in parsed}
        assert {1, 2, 3, 4, 5} <= set(by_id)
        assert by_id[3]["result"]["structuredContent"]["result"]["value"] == 256
        assert by_id[4]["result"]["isError"] is True
        assert "tool_call_finished" in stderr

    async def test_metrics_port_serves_prometheus_beside_stdio(self, env: dict[str, str]) -> None:
        """With MCP_SERVER_METRICS_PORT, /metrics shows the calls made over stdio."""
        port = free_port()
        env = {**env, "MCP_SERVER_METRICS_PORT": str(port)}
        async with Client(_stdio_transport(env)) as client:
            await client.call_tool_mcp("calculate", {"expression": "1"})
            async with httpx2.AsyncClient() as http:
                body = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        assert 'mcp_tool_calls_total{mcp_tool_name="calculate"' in body.replace(", ", ",")


class TestHttp:
    async def test_both_eras_list_and_call_tools(self, env: dict[str, str], era: str) -> None:
        """Streamable HTTP at /mcp serves the session handshake and the sessionless era."""
        with HttpServer(env) as server:
            async with Client(server.url, mode=era) as client:
                await _exercise(client)

    async def test_operational_endpoints(self, env: dict[str, str]) -> None:
        """/healthz, /readyz are JSON; /metrics has the series of the calls just made."""
        with HttpServer(env) as server:
            async with Client(server.url) as client:
                await client.call_tool_mcp("calculate", {"expression": "1"})
                await client.call_tool_mcp("context_get", {"key": "missing"})
            async with httpx2.AsyncClient(base_url=server.base_url) as http:
                health = (await http.get("/healthz")).json()
                ready = await http.get("/readyz")
                metrics = (await http.get("/metrics")).text
        assert health["status"] == "alive" and health["version"] == __version__
        assert ready.status_code == 200 and ready.json()["ready"] is True
        assert "process_slots" in ready.json()["checks"]
        for series in (
            "mcp_tool_calls_total",
            "mcp_tool_duration_seconds_bucket",
            "mcp_tool_errors_total",
            "mcp_tool_output_size_bytes_bucket",
            "mcp_server_operation_duration_seconds_bucket",
            "process_memory_usage_bytes",
        ):
            assert series in metrics, series
        assert 'error_type="not_found"' in metrics

    async def test_the_context_store_survives_a_restart(self, env: dict[str, str]) -> None:
        """A value set before a restart is there after it (same data dir)."""
        with HttpServer(env) as server:
            async with Client(server.url) as client:
                stored = await client.call_tool_mcp("context_set", {"key": "k", "value": {"kept": [1, 2]}, "namespace": "proj"})
                assert not stored.is_error
        with HttpServer(env) as server:
            async with Client(server.url) as client:
                result = await client.call_tool_mcp("context_get", {"key": "k", "namespace": "proj"})
        assert result.structured_content["result"]["value"] == {"kept": [1, 2]}

    def test_sigterm_stops_with_status_zero(self, env: dict[str, str]) -> None:
        """SIGTERM is an orderly shutdown: exit 0 and a server_stopped log event."""
        server = HttpServer(env).wait_ready()
        assert server.stop() == 0
        assert any("server_stopped" in line for line in server.stderr_lines)


def _json_lines(lines: list[str]) -> list[dict[str, Any]]:
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return parsed


class TestLogs:
    async def test_logs_are_json_on_stderr_with_trace_ids(self, env: dict[str, str]) -> None:
        """Every call leaves one JSON tool_call_finished event with trace_id and span_id."""
        with HttpServer(env) as server:
            async with Client(server.url) as client:
                await client.call_tool_mcp("calculate", {"expression": "2"})
        events = [e for e in _json_lines(server.stderr_lines) if e.get("event") == "tool_call_finished"]
        assert len(events) == 1
        assert len(events[0]["trace_id"]) == 32 and len(events[0]["span_id"]) == 16
        starting = [e for e in _json_lines(server.stderr_lines) if e.get("event") == "server_starting"]
        assert starting and "settings" in starting[0]
