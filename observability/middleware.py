"""FastMCP middleware that turns every MCP request into a SERVER span and metrics.

Span layout (SPEC 9.1): one SERVER span per request, opened here. For `tools/call` of a known
tool it is named `mcp.tool.<name>` and carries the tool attributes (`mcp.tool.name`,
`mcp.tool.arguments`, `mcp.tool.status`, `error.type`) together with the MCP
semantic-convention ones (`mcp.method.name`, `gen_ai.tool.name`, `gen_ai.operation.name`,
`jsonrpc.request.id`, `mcp.protocol.version`, `mcp.session.id`, `network.transport`); other
methods get a span named after the method. `setup()` puts FastMCP's own tracing in
`propagation_only` mode: FastMCP still makes the `params._meta` trace context current for the
request (so it parents our span on every transport) but opens no span of its own, so there is
never a second SERVER span.

Why one span, not FastMCP's `tools/call <name>` span with an `mcp.tool.<name>` child: the SPEC
allows either, and one span per call halves the tracing cost on the hot path (measured in
bench/: the second span with its export was the largest single item of the telemetry overhead).
It also keeps `error.type` ours: FastMCP records `tool_error` on its span after our middleware
has finished, which would overwrite the SPEC error type on a shared span.

The span is not made current here, because FastMCP's core, even in `propagation_only` mode,
re-attaches the `_meta` context around the tool body. The tool body makes it current through
`activate_tool_span()`, so work inside the tool (a subprocess, a test run) becomes its child.

The middleware knows MCP and FastMCP, but none of the application's tools or error classes:
the application hands in `classify`, which maps an exception or a result to an error type.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from fastmcp.server.dependencies import FastMCPRequestContext, fastmcp_request_ctx
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from observability._logging import get_logger
from observability._telemetry import Telemetry

Classifier = Callable[[Any], "str | None"]
"""Maps what a tool call produced (an exception or a result) to an error type, or None."""

_NETWORK_TRANSPORT = {"stdio": "pipe", "streamable-http": "tcp", "http": "tcp", "sse": "tcp"}
# The sessionless era (2026-07-28) has no session; each request is its own connection.
_FIRST_SESSIONLESS_VERSION = "2026-07-28"
_call_span: ContextVar[Span | None] = ContextVar("mcp_tool_call_span", default=None)
_log = get_logger("mcp.tool")


@contextmanager
def activate_tool_span() -> Iterator[Span | None]:
    """Make the current call's `mcp.tool.<name>` span the active span inside a tool body.

    Yields:
        The span, or None outside an instrumented call (spans then nest under whatever is
        current).

    Example:
        ```python
        async def my_tool(...):
            with activate_tool_span():
                with tracer.start_as_current_span("subprocess"):  # child of mcp.tool.my_tool
                    ...
        ```
    """
    span = _call_span.get()
    if span is None:
        yield None
        return
    with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
        yield span


def current_trace_id() -> str | None:
    """Hex trace id of the current tool call (or current span), for messages and logs."""
    span = _call_span.get() or trace.get_current_span()
    context = span.get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def _output_size(result: Any) -> int:
    size = 0
    for block in getattr(result, "content", None) or ():
        text = getattr(block, "text", None)
        if text is not None:
            size += len(text.encode("utf-8", "surrogatepass"))
        else:
            data = getattr(block, "data", None) or getattr(block, "blob", None)
            size += len(data) if data else 0
    return size


def _network_transport(context: MiddlewareContext[Any]) -> str | None:
    fastmcp_context = context.fastmcp_context
    return _NETWORK_TRANSPORT.get(fastmcp_context.transport or "") if fastmcp_context else None


def _is_sessionless(request: FastMCPRequestContext | None) -> bool:
    return request is not None and request.protocol_version >= _FIRST_SESSIONLESS_VERSION


def _request_attributes(
    context: MiddlewareContext[Any],
    request: FastMCPRequestContext | None,
    method: str,
    tool: str | None,
    transport: str | None,
    sessionless: bool,
) -> dict[str, Any]:
    """The MCP semantic-convention attributes of a request's SERVER span (and the tool's name)."""
    attributes: dict[str, Any] = {"mcp.method.name": method}
    if tool:
        attributes.update({"mcp.tool.name": tool, "gen_ai.tool.name": tool, "gen_ai.operation.name": "execute_tool"})
    if transport:
        attributes["network.transport"] = transport
    if request is not None:
        attributes["mcp.protocol.version"] = request.protocol_version
        if request.request_id is not None:
            attributes["jsonrpc.request.id"] = request.request_id
        # Under 2026-07-28 FastMCP makes up a new id per request: not a session, so not recorded.
        if not sessionless and context.fastmcp_context is not None:
            with contextlib.suppress(RuntimeError):
                attributes["mcp.session.id"] = context.fastmcp_context.session_id
    return attributes


class TelemetryMiddleware(Middleware):
    """One SERVER span per request, the tool metrics and one log event per tool call, the
    operation-duration metric for every request, and session counts.

    Args:
        telemetry: the live runtime from `observability.setup()`; instruments are read from it
            on every call, so a reconfiguration takes effect on the next call.
        classify: maps an exception or a tool result to an error type (None: success).
        is_known_tool: tool names outside this predicate (unknown tools a client made up) get
            no tool span name and no tool metrics, so a client cannot blow up cardinality.
    """

    def __init__(
        self,
        telemetry: Telemetry,
        classify: Classifier,
        is_known_tool: Callable[[str], bool] | None = None,
    ) -> None:
        self._telemetry = telemetry
        self._classify = classify
        self._is_known_tool = is_known_tool or (lambda _name: True)

    async def on_request(self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]) -> Any:
        """Trace and measure one request; tool calls get the full per-call contract."""
        method = context.method or "unknown"
        tool = getattr(context.message, "name", None) if method == "tools/call" else None
        if not (isinstance(tool, str) and self._is_known_tool(tool)):
            tool = None
        telemetry = self._telemetry
        transport = _network_transport(context)
        request = fastmcp_request_ctx.get()
        sessionless = _is_sessionless(request)
        span = telemetry.tracer.start_span(
            f"mcp.tool.{tool}" if tool else method,
            kind=SpanKind.SERVER,
            attributes=_request_attributes(context, request, method, tool, transport, sessionless),
        )
        if tool and span.is_recording() and telemetry.config.record_arguments:
            span.set_attribute("mcp.tool.arguments", telemetry.redactor.arguments_json(context.message.arguments))
        session_attributes = {"network.transport": transport} if transport else {}
        instruments = telemetry.instruments
        if sessionless:
            instruments.sessions_active.add(1, session_attributes)
        if tool:
            instruments.tool_active.add(1, {"mcp.tool.name": tool})
        token = _call_span.set(span)
        start = time.perf_counter()
        error_type: str | None = None
        result: Any = None
        try:
            result = await call_next(context)
            error_type = self._classify(result)
            return result
        except Exception as exc:
            error_type = self._classify(exc) or "internal_error"
            self._record_exception(tool or method, span, exc, error_type)
            raise
        finally:
            duration = time.perf_counter() - start
            _call_span.reset(token)
            if sessionless:
                instruments.sessions_active.add(-1, session_attributes)
            self._finish(method, tool, span, duration, error_type, result)

    async def on_initialize(self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]) -> Any:
        """Count a handshake-era session from `initialize` until its connection closes."""
        result = await call_next(context)
        request = fastmcp_request_ctx.get()
        # The SDK unwinds the connection's public `exit_stack` when the session ends (its
        # documented teardown hook), but exposes the connection only as the session's
        # private `_connection`; without it, sessions are simply not counted.
        connection = getattr(getattr(request, "session", None), "_connection", None)
        exit_stack = getattr(connection, "exit_stack", None)
        if exit_stack is None:
            return result
        transport = _network_transport(context)
        attributes = {"network.transport": transport} if transport else {}
        instruments = self._telemetry.instruments
        instruments.sessions_active.add(1, attributes)
        started = time.perf_counter()

        def session_closed() -> None:
            current = self._telemetry.instruments
            current.sessions_active.add(-1, attributes)
            current.session_duration.record(time.perf_counter() - started, attributes)

        exit_stack.callback(session_closed)
        return result

    def _record_exception(self, name: str, span: Span, exc: BaseException, error_type: str) -> None:
        # Only unexpected failures carry a stack trace; expected ones are just an error type.
        if error_type != "internal_error" or not span.is_recording():
            return
        # The tool layer may hide the original behind a safe error (`raise ... from None`).
        original = exc.__cause__ or exc.__context__ or exc
        redact = self._telemetry.redactor.text
        stack = "".join(traceback.format_exception(type(original), original, original.__traceback__))
        span.record_exception(
            original,
            attributes={"exception.message": redact(str(original)), "exception.stacktrace": redact(stack)},
        )
        _log.error(
            "tool_call_crashed",
            tool=name,
            error=redact(f"{type(original).__name__}: {original}"),
            stack=redact(stack),
        )

    def _finish(
        self, method: str, tool: str | None, span: Span, duration: float, error_type: str | None, result: Any
    ) -> None:
        instruments = self._telemetry.instruments
        operation_attributes = {"mcp.method.name": method}
        if tool:
            operation_attributes["gen_ai.tool.name"] = tool
        if error_type is not None:
            operation_attributes["error.type"] = error_type
            span.set_attribute("error.type", error_type)
            span.set_status(Status(StatusCode.ERROR, error_type))
        instruments.operation_duration.record(duration, operation_attributes)
        if tool is None:
            span.end()
            return
        status = "success" if error_type is None else "error"
        tool_attributes = {"mcp.tool.name": tool}
        call_attributes = {"mcp.tool.name": tool, "mcp.tool.status": status}
        instruments.tool_active.add(-1, tool_attributes)
        instruments.tool_calls.add(1, call_attributes)
        instruments.tool_duration.record(duration, call_attributes)
        if result is not None:
            instruments.tool_output_size.record(_output_size(result), tool_attributes)
        if error_type is not None:
            instruments.tool_errors.add(1, {"mcp.tool.name": tool, "error.type": error_type})
        span.set_attribute("mcp.tool.status", status)
        context = span.get_span_context()
        span.end()
        _log.info(
            "tool_call_finished",
            tool=tool,
            status=status,
            error_type=error_type,
            duration_ms=round(duration * 1000, 3),
            trace_id=format(context.trace_id, "032x") if context.is_valid else None,
            span_id=format(context.span_id, "016x") if context.is_valid else None,
        )
