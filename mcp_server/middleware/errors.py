"""Turn every tool failure into an `isError` result carrying the SPEC section 7 envelope."""

from __future__ import annotations

from typing import Any

from fastmcp.exceptions import NotFoundError as UnknownComponentError
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult
from mcp.types import TextContent

from mcp_server.errors import envelope_for, envelope_text
from observability import current_trace_id


def error_result(envelope: dict[str, Any]) -> ToolResult:
    """An `isError: true` tool result whose text and structured content are the envelope."""
    return ToolResult(
        content=[TextContent(type="text", text=envelope_text(envelope))],
        structured_content=envelope,
        is_error=True,
    )


class ErrorEnvelopeMiddleware(Middleware):
    """Outermost tool middleware: failures become results, never JSON-RPC errors.

    An unknown tool name is left to FastMCP, whose answer is the protocol's own.
    """

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]) -> Any:
        """Run the call; map any failure to the error envelope."""
        try:
            return await call_next(context)
        except UnknownComponentError:
            raise
        # Error boundary: whatever a tool raised becomes a structured, trace-free result.
        except Exception as exc:  # noqa: BLE001
            return error_result(envelope_for(exc, current_trace_id()))
