"""`POST /api/v1/tools/{name}`: a plain-JSON facade over the same tools (SPEC section 5).

The body is the tool's arguments as a JSON object; the response body is the same SPEC 7
envelope an MCP client gets, with an HTTP status that matches its error type. Calls go
through `FastMCP.call_tool`, so they pass the same middleware (error envelope, telemetry)
as MCP calls. A W3C `traceparent` header continues the caller's trace.
"""

from __future__ import annotations

import json
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.context import reset_transport, set_transport
from opentelemetry import context, propagate
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_server.tool_registry import ToolRegistry

REST_PREFIX = "/api/v1/tools"
MAX_BODY_BYTES = 32 * 1_048_576
HTTP_STATUS_BY_ERROR_TYPE: dict[str, int] = {
    "invalid_arguments": 400,
    "unauthorized": 401,
    "blocked_command": 403,
    "path_outside_roots": 403,
    "permission_denied": 403,
    "not_found": 404,
    "process_not_found": 404,
    "already_exists": 409,
    "resource_limit": 413,
    "binary_file": 415,
    "too_many_processes": 429,
    "internal_error": 500,
    "timeout": 504,
}


def _error(status: int, message: str, error_type: str) -> JSONResponse:
    return JSONResponse({"status": "error", "error": message, "type": error_type}, status_code=status)


async def _arguments(request: Request) -> dict[str, Any] | JSONResponse:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes", "resource_limit")
    body = await request.body()
    if not body.strip():
        return {}
    try:
        arguments = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _error(400, "the body must be a JSON object of tool arguments", "invalid_arguments")
    if not isinstance(arguments, dict):
        return _error(400, "the body must be a JSON object of tool arguments", "invalid_arguments")
    return arguments


def build_rest_routes(mcp: FastMCP, registry: ToolRegistry) -> list[Route]:
    """The facade route, bound to the server and its registry."""

    async def call_tool(request: Request) -> JSONResponse:
        name = request.path_params["name"]
        if not registry.is_known(name):
            return _error(404, f"no tool named {name[:100]!r}; GET /openapi.json lists them", "not_found")
        arguments = await _arguments(request)
        if isinstance(arguments, JSONResponse):
            return arguments
        context_token = context.attach(propagate.extract(request.headers))
        transport_token = set_transport("streamable-http")
        try:
            result = await mcp.call_tool(name, arguments)
        finally:
            reset_transport(transport_token)
            context.detach(context_token)
        envelope = result.structured_content or {}
        if envelope.get("status") == "success":
            return JSONResponse(envelope)
        return JSONResponse(envelope, status_code=HTTP_STATUS_BY_ERROR_TYPE.get(envelope.get("type", ""), 500))

    return [Route(REST_PREFIX + "/{name}", call_tool, methods=["POST"])]
