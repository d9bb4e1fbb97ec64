"""Telemetry leaves the real server over OTLP (HTTP and gRPC) or into the traces file, and a
down endpoint costs tool calls nothing. Checked by receiving it: real OTLP receivers decode it."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from tests.helpers.otlp_receiver import GrpcOtlpReceiver, HttpOtlpReceiver, Received, attributes_dict
from tests.helpers.server_process import HttpServer, server_env

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


@pytest.fixture(params=["http/protobuf", "grpc"])
def receiver(request: pytest.FixtureRequest) -> Iterator[tuple[str, HttpOtlpReceiver | GrpcOtlpReceiver]]:
    protocol = str(request.param)
    receiver = HttpOtlpReceiver() if protocol == "http/protobuf" else GrpcOtlpReceiver()
    with receiver:
        yield protocol, receiver


def _otlp_env(tmp_path: Path, root: Path, endpoint: str, protocol: str) -> dict[str, str]:
    return server_env(
        tmp_path / "data",
        root,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_METRIC_EXPORT_INTERVAL": "300",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test",
        },
    )


def _spans_named(received: Received, name: str) -> list[object]:
    return [span for span in received.spans() if span.name == name]


def _caller_context() -> object:
    """The caller's span as current, as an instrumented client has it.

    The MCP SDK's client injects the current context into `params._meta` itself (its own
    `MCP send` CLIENT span, when this test process has an SDK provider, becomes a child of it),
    so the server's trace continues TRACE_ID either way.
    """
    remote = SpanContext(int(TRACE_ID, 16), int(PARENT_SPAN_ID, 16), is_remote=True, trace_flags=TraceFlags(1))
    return trace.use_span(NonRecordingSpan(remote))


async def _calls(client: Client) -> None:
    with _caller_context():
        ok = await client.call_tool_mcp("calculate", {"expression": "6*7"}, meta={"traceparent": TRACEPARENT})
    assert not ok.is_error
    bad = await client.call_tool_mcp("context_get", {"key": "missing"})
    assert bad.is_error


class TestOtlpExport:
    async def test_spans_and_metrics_reach_the_receiver(
        self, tmp_path: Path, root_dir: Path, receiver: tuple[str, HttpOtlpReceiver | GrpcOtlpReceiver]
    ) -> None:
        """mcp.tool.* spans with their attributes, error.type on failures, the traceparent as parent,
        the resource, and the SPEC 9.2 metrics arrive by name, over OTLP/HTTP and OTLP/gRPC."""
        protocol, sink = receiver
        with HttpServer(_otlp_env(tmp_path, root_dir, sink.endpoint, protocol)) as server:
            async with Client(server.url) as client:
                await _calls(client)
            received = sink.received
            assert received.wait_for(lambda r: len(_spans_named(r, "mcp.tool.context_get")) == 1)
            assert received.wait_for(lambda r: {"mcp.tool.calls", "mcp.tool.duration"} <= r.metric_names())
        (ok,) = _spans_named(received, "mcp.tool.calculate")
        ok_attributes = attributes_dict(ok.attributes)
        assert ok_attributes["mcp.tool.name"] == "calculate"
        assert ok_attributes["mcp.tool.status"] == "success"
        assert json.loads(ok_attributes["mcp.tool.arguments"]) == {"expression": "6*7"}
        assert ok.trace_id.hex() == TRACE_ID, "the _meta traceparent is the parent of the server trace"
        assert ok.kind == 2  # SPAN_KIND_SERVER: the call's one server span
        exported_ids = {s.span_id for s in received.spans()}
        assert ok.parent_span_id and ok.parent_span_id not in exported_ids, "its parent is the caller's"
        assert ok_attributes["mcp.method.name"] == "tools/call"
        assert ok_attributes["gen_ai.tool.name"] == "calculate"
        assert ok_attributes["network.transport"] == "tcp"
        (bad,) = _spans_named(received, "mcp.tool.context_get")
        assert attributes_dict(bad.attributes)["error.type"] == "not_found"
        assert bad.status.code == 2  # STATUS_CODE_ERROR
        resource = received.resources()[0]
        assert resource["service.name"] == "mcp-observatory"
        assert resource["service.version"]
        assert resource["service.instance.id"]
        assert resource["deployment.environment.name"] == "test"
        assert {
            "mcp.tool.calls",
            "mcp.tool.duration",
            "mcp.tool.errors",
            "mcp.tool.active",
            "mcp.tool.output.size",
            "mcp.server.operation.duration",
            "process.memory.usage",
        } <= received.metric_names()

    async def test_traceparent_parents_the_trace_over_stdio(self, tmp_path: Path, root_dir: Path) -> None:
        """The _meta traceparent is honoured on the stdio transport too (network.transport=pipe)."""
        with HttpOtlpReceiver() as sink:
            env = _otlp_env(tmp_path, root_dir, sink.endpoint, "http/protobuf")
            transport = StdioTransport(
                command=sys.executable, args=["-m", "mcp_server", "serve", "--transport", "stdio"], env=env
            )
            async with Client(transport, mode="legacy") as client:
                await _calls(client)
                assert sink.received.wait_for(lambda r: len(_spans_named(r, "mcp.tool.calculate")) == 1)
        (span,) = _spans_named(sink.received, "mcp.tool.calculate")
        assert span.trace_id.hex() == TRACE_ID
        assert attributes_dict(span.attributes)["network.transport"] == "pipe"


class TestEmbeddedDefault:
    async def test_without_an_endpoint_traces_go_to_the_otlp_json_file(self, tmp_path: Path, root_dir: Path) -> None:
        """No OTLP endpoint: spans are appended to the traces file as OTLP/JSON with hex ids."""
        env = server_env(tmp_path / "data", root_dir, {"OTEL_BSP_SCHEDULE_DELAY": "100"})
        with HttpServer(env) as server:
            async with Client(server.url) as client:
                await _calls(client)
        traces_file = tmp_path / "data" / "traces.jsonl"
        spans = [
            span
            for line in traces_file.read_text().splitlines()
            for rs in json.loads(line)["resourceSpans"]
            for ss in rs["scopeSpans"]
            for span in ss["spans"]
        ]
        names = {span["name"] for span in spans}
        assert {"mcp.tool.calculate", "mcp.tool.context_get"} <= names
        for span in spans:
            assert re.fullmatch(r"[0-9a-f]{32}", span["traceId"]) and re.fullmatch(r"[0-9a-f]{16}", span["spanId"])
        (calculate,) = [s for s in spans if s["name"] == "mcp.tool.calculate"]
        assert calculate["traceId"] == TRACE_ID


class TestEndpointDown:
    async def test_a_dead_endpoint_fails_no_call_and_shows_in_exporter_health(
        self, tmp_path: Path, root_dir: Path
    ) -> None:
        """Calls succeed while every export fails; telemetry_status counts the failures."""
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
        env = _otlp_env(tmp_path, root_dir, dead, "http/protobuf")
        env["OTEL_EXPORTER_OTLP_TIMEOUT"] = "1"
        with HttpServer(env) as server:
            async with Client(server.url) as client:
                for i in range(30):
                    result = await client.call_tool_mcp("calculate", {"expression": f"{i}+1"})
                    assert not result.is_error
                status: dict[str, object] = {}
                for _ in range(100):
                    reply = await client.call_tool_mcp("telemetry_status", {})
                    status = reply.structured_content["result"]
                    if status["traces"]["failures_total"] >= 1 and status["metrics"]["failures_total"] >= 1:
                        break
                    await asyncio.sleep(0.2)
        assert status["traces"]["failures_total"] >= 1
        assert status["traces"]["dropped_items"] >= 1
        assert status["metrics"]["failures_total"] >= 1
        assert status["traces"]["last_error"]
