"""FastMCP middleware that turns every MCP request into metrics and every tool call into a span.

Span layout (SPEC 9.1): FastMCP opens the request's SERVER span (`tools/call <name>`, with the
MCP semantic-convention attributes and the `_meta.traceparent` parent). This middleware runs
inside it and starts an INTERNAL `mcp.tool.<name>` span as its child. The span is *not* made
current here: if it were, FastMCP's core would no longer see its own SERVER span as current
and would open a second one. The tool body makes it current through `activate_tool_span()`,
so work inside the tool (a subprocess, a test run) becomes its child.

The middleware knows MCP and FastMCP, but none of the application's tools or error classes:
the application hands in `classify`, which maps an exception or a result to an error type.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from fastmcp.server.dependencies import fastmcp_request_ctx
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


def _is_sessionless() -> bool:
    request = fastmcp_request_ctx.get()
    return request is not None and request.protocol_version >= _FIRST_SESSIONLESS_VERSION


class TelemetryMiddleware(Middleware):
    """Spans, metrics and one log event per tool call; operation and session metrics per request.

    Args:
        telemetry: the live runtime from `observability.setup()`; instruments are read from it
            on every call, so a reconfiguration takes effect on the next call.
        classify: maps an exception or a tool result to an error type (None: success).
        is_known_tool: tool names outside this predicate (unknown tools a client made up) get
            no metrics, so a client cannot blow up label cardinality.
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
        """Record `mcp.server.operation.duration` for every request; count sessionless ones."""
        instruments = self._telemetry.instruments
        method = context.method or "unknown"
        attributes: dict[str, str] = {"mcp.method.name": method}
        if method == "tools/call":
            name = getattr(context.message, "name", None)
            if isinstance(name, str) and self._is_known_tool(name):
                attributes["gen_ai.tool.name"] = name
        sessionless = _is_sessionless()
        transport = _network_transport(context)
        session_attributes = {"network.transport": transport} if transport else {}
        if sessionless:
            instruments.sessions_active.add(1, session_attributes)
        start = time.perf_counter()
        try:
            result = await call_next(context)
        except Exception as exc:
            attributes["error.type"] = self._classify(exc) or type(exc).__name__
            raise
        else:
            if getattr(result, "is_error", False):
                attributes["error.type"] = "tool_error"
            return result
        finally:
            instruments.operation_duration.record(time.perf_counter() - start, attributes)
            if sessionless:
                instruments.sessions_active.add(-1, session_attributes)

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

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]) -> Any:
        """Wrap one tool call in an `mcp.tool.<name>` span, the tool metrics and a log event."""
        name: str = context.message.name
        if not self._is_known_tool(name):
            return await call_next(context)
        telemetry = self._telemetry
        instruments = telemetry.instruments
        tool_attributes = {"mcp.tool.name": name}
        server_span = trace.get_current_span()
        transport = _network_transport(context)
        if transport:
            server_span.set_attribute("network.transport", transport)
        span = telemetry.tracer.start_span(f"mcp.tool.{name}", kind=SpanKind.INTERNAL, attributes=tool_attributes)
        if span.is_recording() and telemetry.config.record_arguments:
            span.set_attribute("mcp.tool.arguments", telemetry.redactor.arguments_json(context.message.arguments))
        token = _call_span.set(span)
        instruments.tool_active.add(1, tool_attributes)
        start = time.perf_counter()
        error_type: str | None = None
        result: Any = None
        try:
            result = await call_next(context)
            error_type = self._classify(result)
            return result
        except Exception as exc:
            error_type = self._classify(exc) or "internal_error"
            self._record_exception(name, span, exc, error_type)
            raise
        finally:
            duration = time.perf_counter() - start
            _call_span.reset(token)
            self._finish(name, span, server_span, duration, error_type, result)

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
        self, name: str, span: Span, server_span: Span, duration: float, error_type: str | None, result: Any
    ) -> None:
        instruments = self._telemetry.instruments
        tool_attributes = {"mcp.tool.name": name}
        status = "success" if error_type is None else "error"
        call_attributes = {"mcp.tool.name": name, "mcp.tool.status": status}
        instruments.tool_active.add(-1, tool_attributes)
        instruments.tool_calls.add(1, call_attributes)
        instruments.tool_duration.record(duration, call_attributes)
        if result is not None:
            instruments.tool_output_size.record(_output_size(result), tool_attributes)
        span.set_attribute("mcp.tool.status", status)
        if error_type is not None:
            instruments.tool_errors.add(1, {"mcp.tool.name": name, "error.type": error_type})
            span.set_attribute("error.type", error_type)
            span.set_status(Status(StatusCode.ERROR, error_type))
            # MCP semconv: a tool result with isError marks the SERVER span `tool_error`.
            if server_span.is_recording():
                server_span.set_attribute("error.type", "tool_error")
                server_span.set_status(Status(StatusCode.ERROR, error_type))
        context = span.get_span_context()
        span.end()
        _log.info(
            "tool_call_finished",
            tool=name,
            status=status,
            error_type=error_type,
            duration_ms=round(duration * 1000, 3),
            trace_id=format(context.trace_id, "032x") if context.is_valid else None,
            span_id=format(context.span_id, "016x") if context.is_valid else None,
        )
