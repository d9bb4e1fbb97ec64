"""`GET /openapi.json`: an OpenAPI 3.1 document of the HTTP endpoints, generated from the tools.

Tool input and output schemas are FastMCP's own JSON Schemas (2020-12, which OpenAPI 3.1
uses as is); their local `$defs` are hoisted into `components/schemas` so every `$ref`
resolves inside the document.
"""

from __future__ import annotations

import copy
from typing import Any

from fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_server import __version__
from mcp_server.http.rest import HTTP_STATUS_BY_ERROR_TYPE, REST_PREFIX
from mcp_server.settings import Settings
from mcp_server.tool_registry import ToolRegistry

_ENVELOPE = {
    "type": "object",
    "required": ["status", "error", "type"],
    "properties": {
        "status": {"const": "error"},
        "error": {"type": "string", "description": "What went wrong and what to do."},
        "type": {"enum": sorted(HTTP_STATUS_BY_ERROR_TYPE)},
    },
}
_JSON_OBJECT = {"type": "object", "additionalProperties": True}


def _hoist_defs(schema: dict[str, Any], prefix: str, components: dict[str, Any]) -> dict[str, Any]:
    """Move `$defs` to components and point the `$ref`s there."""
    schema = copy.deepcopy(schema)
    for name, definition in schema.pop("$defs", {}).items():
        components[f"{prefix}__{name}"] = definition

    def rewrite(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node["$ref"] = f"#/components/schemas/{prefix}__{ref.removeprefix('#/$defs/')}"
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for item in node:
                rewrite(item)

    rewrite(schema)
    for key in list(components):
        if key.startswith(prefix + "__"):
            rewrite(components[key])
    return schema


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operational_paths(settings: Settings) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/healthz": {"get": {"summary": "Liveness", "security": [], "responses": {"200": _json_response("Alive", _JSON_OBJECT)}}},
        "/readyz": {
            "get": {
                "summary": "Readiness: data dir writable, telemetry exporter health, process slots",
                "responses": {"200": _json_response("Ready or degraded", _JSON_OBJECT), "503": _json_response("Unready", _JSON_OBJECT)},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (text exposition format)",
                "responses": {"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}},
            }
        },
        "/mcp": {
            "post": {
                "summary": "MCP streamable HTTP endpoint (JSON-RPC 2.0; both protocol eras)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _JSON_OBJECT}}},
                "responses": {
                    "200": {
                        "description": "JSON-RPC response, as JSON or an SSE stream",
                        "content": {"application/json": {"schema": _JSON_OBJECT}, "text/event-stream": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    if settings.metrics_public:
        paths["/metrics"]["get"]["security"] = []
    if settings.admin_token is not None:
        paths["/admin/telemetry"] = {
            "get": {"summary": "Telemetry endpoint and exporter health", "security": [{"admin": []}],
                    "responses": {"200": _json_response("Status", _JSON_OBJECT)}},
            "post": {
                "summary": "Change the telemetry export while serving (partial update)",
                "security": [{"admin": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _JSON_OBJECT}}},
                "responses": {"200": _json_response("Applied", _JSON_OBJECT), "400": _json_response("Refused", _ENVELOPE)},
            },
        }
    return paths


async def build_openapi(mcp: FastMCP, registry: ToolRegistry, settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document for this server's HTTP surface."""
    schemas: dict[str, Any] = {"ErrorEnvelope": _ENVELOPE}
    paths = _operational_paths(settings)
    for tool in await mcp.list_tools(run_middleware=False):
        if not registry.is_known(tool.name):
            continue
        request_schema = _hoist_defs(tool.parameters, tool.name, schemas)
        success_schema = _hoist_defs(tool.output_schema or _JSON_OBJECT, tool.name + "_result", schemas)
        error_codes = sorted({str(code) for code in HTTP_STATUS_BY_ERROR_TYPE.values()})
        paths[f"{REST_PREFIX}/{tool.name}"] = {
            "post": {
                "operationId": tool.name,
                "summary": (tool.description or tool.name).strip().splitlines()[0],
                "description": tool.description or "",
                "tags": [registry.names[tool.name]],
                "requestBody": {"required": True, "content": {"application/json": {"schema": request_schema}}},
                "responses": {
                    "200": _json_response("Success envelope", success_schema),
                    **{code: _json_response("Error envelope", {"$ref": "#/components/schemas/ErrorEnvelope"}) for code in error_codes},
                },
            }
        }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "mcp-observatory",
            "version": __version__,
            "description": "HTTP endpoints of the mcp-observatory MCP server, and a plain-JSON facade over its tools.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "MCP_SERVER_AUTH_TOKEN"},
                "admin": {"type": "http", "scheme": "bearer", "description": "MCP_SERVER_ADMIN_TOKEN"},
            },
        },
    }
    if settings.auth_token is not None:
        document["security"] = [{"bearer": []}]
    return document


def build_openapi_route(mcp: FastMCP, registry: ToolRegistry, settings: Settings) -> Route:
    """`GET /openapi.json`."""

    async def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(await build_openapi(mcp, registry, settings))

    return Route("/openapi.json", openapi, methods=["GET"])
