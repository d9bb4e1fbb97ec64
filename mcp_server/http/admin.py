"""`GET|POST /admin/telemetry` (SPEC 9.7): show and change the telemetry export while serving.

The routes exist only when `MCP_SERVER_ADMIN_TOKEN` is set: without it they are not
registered at all, so a request gets the same 404 as any unknown path and nothing reveals
that an admin surface could exist. With it, every request needs `Authorization: Bearer
<admin token>`, compared in constant time. FastMCP's auth does not cover custom routes, so
the check lives here.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_server.http.auth import presented_token
from mcp_server.security.tokens import token_matches
from mcp_server.services import Services
from observability import (
    ReconfigurationError,
    TelemetryDisabledError,
    apply_telemetry_update,
    get_logger,
)

ADMIN_TELEMETRY_PATH = "/admin/telemetry"
MAX_BODY_BYTES = 64 * 1024
_log = get_logger("mcp_server.admin")


def _error(status: int, message: str, error_type: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"status": "error", "error": message, "type": error_type}
    return JSONResponse(body, status_code=status, headers=headers)


class _AdminGuard:
    """Checks the admin bearer token; counts and logs refusals (never the presented token)."""

    def __init__(self, services: Services, token: bytes) -> None:
        self._services = services
        self._token = token

    def refusal(self, request: Request) -> JSONResponse | None:
        """None when authorised, else the 401 response to send."""
        presented = presented_token(request.scope)
        if token_matches(presented, self._token):
            return None
        self._services.telemetry.instruments.http_unauthorized.add(1, {"http.route": ADMIN_TELEMETRY_PATH})
        _log.warning("admin_request_unauthorized", path=request.url.path, token_presented=presented is not None)
        challenge = 'Bearer realm="mcp-observatory-admin"'
        if presented is not None:
            challenge += ', error="invalid_token"'
        message = "send the admin token as `Authorization: Bearer <MCP_SERVER_ADMIN_TOKEN>`"
        return _error(401, message, "unauthorized", {"WWW-Authenticate": challenge})


async def _read_json(request: Request) -> tuple[Any, JSONResponse | None]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None, _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes", "invalid_arguments")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return None, _error(413, f"the body is larger than {MAX_BODY_BYTES} bytes", "invalid_arguments")
    try:
        return json.loads(body), None
    except (UnicodeDecodeError, ValueError) as exc:
        return None, _error(400, f"the body is not valid JSON ({exc}); send a JSON object", "invalid_arguments")


def admin_routes(services: Services) -> list[Route]:
    """The admin routes, or none when no admin token is configured."""
    token = services.settings.admin_token
    if token is None:
        return []
    guard = _AdminGuard(services, token.get_secret_value().encode())
    telemetry = services.telemetry

    async def show(request: Request) -> JSONResponse:
        if (refused := guard.refusal(request)) is not None:
            return refused
        return JSONResponse(telemetry.status())

    async def change(request: Request) -> JSONResponse:
        if (refused := guard.refusal(request)) is not None:
            return refused
        update, problem = await _read_json(request)
        if problem is not None:
            return problem
        try:
            # Off the event loop: switches are serialised, so this one may wait for another.
            result = await anyio.to_thread.run_sync(apply_telemetry_update, telemetry, update, "http")
        except ReconfigurationError as exc:
            return _error(422, str(exc), "invalid_arguments")
        except TelemetryDisabledError as exc:
            return _error(409, str(exc), "invalid_arguments")
        return JSONResponse(result)

    return [
        Route(ADMIN_TELEMETRY_PATH, show, methods=["GET"]),
        Route(ADMIN_TELEMETRY_PATH, change, methods=["POST"]),
    ]
