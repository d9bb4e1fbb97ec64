"""One tool call, in-process, produces the span tree, metrics and log line of SPEC section 9."""

from __future__ import annotations

import json
from typing import Any

from fastmcp import Client
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from mcp_server.app import App
from observability import Telemetry
from observability.testing import capture_logs, metric_value


def _by_name(spans: Any, name: str) -> list[Any]:
    return [span for span in spans.get_finished_spans() if span.name == name]


class TestToolSpan:
    async def test_a_successful_call_is_one_server_span_with_tool_and_semconv_attributes(
        self, app: App, spans: Any, era: str
    ) -> None:
        """`mcp.tool.calculate` is the call's only SERVER span and carries both attribute sets."""
        async with Client(app.mcp, mode=era) as client:
            result = await client.call_tool_mcp("calculate", {"expression": "6*7"})
        assert not result.is_error
        server_side = [span for span in spans.get_finished_spans() if span.kind is SpanKind.SERVER]
        calls = [span for span in server_side if span.attributes.get("mcp.method.name") == "tools/call"]
        assert [span.name for span in calls] == ["mcp.tool.calculate"], "no second SERVER span"
        (tool_span,) = calls
        attributes = tool_span.attributes
        assert attributes["mcp.tool.name"] == "calculate"
        assert attributes["mcp.tool.status"] == "success"
        assert json.loads(attributes["mcp.tool.arguments"]) == {"expression": "6*7"}
        assert attributes["gen_ai.tool.name"] == "calculate"
        assert attributes["gen_ai.operation.name"] == "execute_tool"
        assert attributes["jsonrpc.request.id"]
        assert attributes["mcp.protocol.version"] == ("2026-07-28" if era == "auto" else "2025-11-25")
        assert ("mcp.session.id" in attributes) is (era == "legacy"), "a session id only when there is a session"

    async def test_other_methods_get_a_server_span_named_after_the_method(self, client: Client, spans: Any) -> None:
        """tools/list is traced too, without tool attributes."""
        await client.list_tools()
        (listing,) = [span for span in spans.get_finished_spans() if span.name == "tools/list"]
        assert listing.kind is SpanKind.SERVER and "mcp.tool.name" not in listing.attributes

    async def test_an_error_span_has_error_type_and_error_status(self, client: Client, spans: Any) -> None:
        """If calculate refuses an expression, the span carries error.type=invalid_arguments."""
        result = await client.call_tool_mcp("calculate", {"expression": "__import__('os')"})
        assert result.is_error
        (tool_span,) = _by_name(spans, "mcp.tool.calculate")
        assert tool_span.attributes["mcp.tool.status"] == "error"
        assert tool_span.attributes["error.type"] == "invalid_arguments"
        assert tool_span.status.status_code is StatusCode.ERROR

    async def test_work_inside_a_tool_is_a_child_of_the_tool_span(self, app: App, spans: Any) -> None:
        """A span started in the tool body hangs under `mcp.tool.<name>`."""
        tracer = app.services.telemetry.tracer

        async def traced_work() -> dict[str, Any]:
            """Does some traced work."""
            with tracer.start_as_current_span("inner work"):
                return {"done": True}

        app.registry.add(traced_work, group="utility", read_only=True)
        async with Client(app.mcp) as client:
            await client.call_tool_mcp("traced_work", {})
        (tool_span,) = _by_name(spans, "mcp.tool.traced_work")
        (inner,) = _by_name(spans, "inner work")
        assert inner.parent is not None and inner.parent.span_id == tool_span.context.span_id

    async def test_arguments_are_redacted_on_spans(self, client: Client, spans: Any) -> None:
        """Values stored with context_set never reach the span, only their size."""
        await client.call_tool_mcp("context_set", {"key": "k", "value": {"password": "hunter2-secret"}})
        (tool_span,) = _by_name(spans, "mcp.tool.context_set")
        recorded = tool_span.attributes["mcp.tool.arguments"]
        assert "hunter2-secret" not in recorded
        assert json.loads(recorded)["value"].endswith("bytes>")

    async def test_record_arguments_off_leaves_no_arguments_attribute(
        self, make_settings: Any, spans: Any
    ) -> None:
        """With MCP_SERVER_RECORD_ARGUMENTS=off the span has no mcp.tool.arguments."""
        from mcp_server.app import build_app, telemetry_config
        from observability.testing import setup_for_tests

        settings = make_settings(record_arguments="off")
        telemetry, recorder = setup_for_tests(telemetry_config(settings))
        built = build_app(settings, telemetry)
        try:
            async with Client(built.mcp) as client:
                await client.call_tool_mcp("calculate", {"expression": "1+1"})
        finally:
            built.services.close()
        (tool_span,) = _by_name(recorder, "mcp.tool.calculate")
        assert "mcp.tool.arguments" not in tool_span.attributes

    async def test_traceparent_in_meta_becomes_the_parent_of_the_server_trace(
        self, app: App, spans: Any, era: str
    ) -> None:
        """A client span's context sent in params._meta parents the whole server trace."""
        tracer = trace.get_tracer("test-client")
        async with Client(app.mcp, mode=era) as client:
            with tracer.start_as_current_span("client-operation") as parent:
                await client.call_tool_mcp("calculate", {"expression": "1"})
        (tool_span,) = _by_name(spans, "mcp.tool.calculate")
        assert tool_span.context.trace_id == parent.get_span_context().trace_id

    async def test_an_unexpected_exception_is_internal_error_with_the_stack_on_the_span(
        self, app: App, spans: Any
    ) -> None:
        """A crashing tool gives internal_error, no stack trace in the result, an exception event."""

        async def crash() -> dict[str, Any]:
            """Always fails."""
            raise RuntimeError("boom with password=hunter2")

        app.registry.add(crash, group="utility", read_only=True)
        async with Client(app.mcp) as client:
            result = await client.call_tool_mcp("crash", {})
            assert result.is_error
            assert result.structured_content["type"] == "internal_error"
            assert "Traceback" not in result.content[0].text
            assert "hunter2" not in result.content[0].text
            again = await client.call_tool_mcp("calculate", {"expression": "2"})
            assert not again.is_error, "the server keeps serving"
        (tool_span,) = _by_name(spans, "mcp.tool.crash")
        (event,) = [e for e in tool_span.events if e.name == "exception"]
        assert event.attributes["exception.type"] == "RuntimeError"
        assert "hunter2" not in event.attributes["exception.message"]
        assert "Traceback" in event.attributes["exception.stacktrace"]
        trace_id = format(tool_span.context.trace_id, "032x")
        assert trace_id in result.structured_content["error"]


class TestToolMetrics:
    async def test_one_call_moves_each_counter_by_exactly_one(self, client: Client, telemetry: Telemetry) -> None:
        """calls, duration count and output size count each grow by one for one call."""
        labels = {"mcp_tool_name": "calculate", "mcp_tool_status": "success"}
        before_calls = metric_value(telemetry, "mcp_tool_calls_total", **labels)
        before_count = metric_value(telemetry, "mcp_tool_duration_seconds_count", **labels)
        await client.call_tool_mcp("calculate", {"expression": "2+2"})
        assert metric_value(telemetry, "mcp_tool_calls_total", **labels) == before_calls + 1
        assert metric_value(telemetry, "mcp_tool_duration_seconds_count", **labels) == before_count + 1
        assert metric_value(telemetry, "mcp_tool_output_size_bytes_count", mcp_tool_name="calculate") >= 1
        assert metric_value(telemetry, "mcp_tool_active", mcp_tool_name="calculate") == 0

    async def test_errors_are_counted_by_type(self, client: Client, telemetry: Telemetry) -> None:
        """A not_found error moves mcp_tool_errors_total{error_type="not_found"} by one."""
        await client.call_tool_mcp("context_get", {"key": "missing"})
        assert metric_value(telemetry, "mcp_tool_errors_total", mcp_tool_name="context_get", error_type="not_found") == 1
        assert metric_value(telemetry, "mcp_tool_calls_total", mcp_tool_name="context_get", mcp_tool_status="error") == 1

    async def test_tool_duration_has_sub_10ms_buckets(self, client: Client, telemetry: Telemetry) -> None:
        """mcp.tool.duration has the 0.5/1/2/5 ms buckets below the semconv ones."""
        await client.call_tool_mcp("calculate", {"expression": "1"})
        from observability.testing import metric_samples

        bounds = {labels["le"] for labels, _ in metric_samples(telemetry, "mcp_tool_duration_seconds_bucket")}
        assert {"0.0005", "0.001", "0.002", "0.005", "0.01", "300"} <= bounds

    async def test_operation_duration_covers_every_mcp_method(self, client: Client, telemetry: Telemetry) -> None:
        """tools/list and tools/call both land in mcp_server_operation_duration_seconds."""
        await client.list_tools()
        await client.call_tool_mcp("calculate", {"expression": "1"})
        listed = metric_value(telemetry, "mcp_server_operation_duration_seconds_count", mcp_method_name="tools/list")
        assert listed >= 1
        assert (
            metric_value(
                telemetry,
                "mcp_server_operation_duration_seconds_count",
                mcp_method_name="tools/call",
                gen_ai_tool_name="calculate",
            )
            == 1
        )

    async def test_unknown_tool_names_create_no_series(self, client: Client, telemetry: Telemetry) -> None:
        """A made-up tool name is FastMCP's protocol answer and never becomes a label."""
        result = await client.call_tool_mcp("no_such_tool_xyz", {})
        assert result.is_error
        exposition = [labels for labels, _ in _all_samples(telemetry)]
        assert not any("no_such_tool_xyz" in labels.values() for labels in exposition)

    async def test_sessions_are_counted_in_the_handshake_era(self, app: App, telemetry: Telemetry) -> None:
        """initialize opens a session (+1), closing the client ends it and records its duration."""
        async with Client(app.mcp, mode="legacy") as client:
            await client.ping()
            assert metric_value(telemetry, "mcp_sessions_active") == 1
        assert metric_value(telemetry, "mcp_sessions_active") == 0
        assert metric_value(telemetry, "mcp_server_session_duration_seconds_count") == 1


def _all_samples(telemetry: Telemetry) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(sample.labels), sample.value) for family in telemetry.registry.collect() for sample in family.samples
    ]


class TestToolLog:
    async def test_one_log_event_per_call_with_the_spans_trace_id(self, client: Client, spans: Any) -> None:
        """tool_call_finished carries tool, status, duration and the trace and span ids."""
        with capture_logs() as logs:
            await client.call_tool_mcp("calculate", {"expression": "3"})
        (event,) = [e for e in logs if e["event"] == "tool_call_finished"]
        (tool_span,) = _by_name(spans, "mcp.tool.calculate")
        assert event["tool"] == "calculate"
        assert event["status"] == "success"
        assert event["error_type"] is None
        assert isinstance(event["duration_ms"], float)
        assert event["trace_id"] == format(tool_span.context.trace_id, "032x")
        assert event["span_id"] == format(tool_span.context.span_id, "016x")
