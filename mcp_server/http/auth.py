"""Bearer-token authentication for every HTTP endpoint but `/healthz` (SPEC section 5).

One ASGI middleware in front of the whole app, rather than FastMCP's `auth=` verifier:
FastMCP's verifier covers `/mcp` only, and `/metrics`, the REST facade, `/readyz` and
`/openapi.json` need the same check, the same 401 body and the same counting. The token is
compared in constant time (`hmac.compare_digest`); refusals are counted on
`mcp.http.unauthorized` and logged without the presented token. `/admin/*` has its own
admin-token guard (mcp_server/http/admin.py) and is left to it.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.security.tokens import token_matches
from mcp_server.services import Services
from observability import get_logger

_OPEN_PATHS = frozenset({"/healthz"})
_ADMIN_PREFIX = "/admin/"
# Closed set of route labels for the refusal counter: never a raw path (unbounded).
_ROUTE_LABELS = ("/mcp", "/metrics", "/readyz", "/openapi.json", "/api/v1/tools/")
_log = get_logger("mcp_server.http.auth")


def route_label(path: str) -> str:
    """A low-cardinality label for a request path."""
    for label in _ROUTE_LABELS:
        if path == label or path.startswith(label.rstrip("/") + "/"):
            return "/api/v1/tools/{name}" if label == "/api/v1/tools/" else label
    return "other"


def presented_token(scope: Scope) -> bytes | None:
    """The bearer credentials of a request, or None."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                return credentials.strip()
            return None
    return None


class BearerAuthMiddleware:
    """Refuse requests without `Authorization: Bearer <MCP_SERVER_AUTH_TOKEN>` with 401.

    Args:
        app: the wrapped ASGI app.
        services: for the token, `metrics_public`, and the refusal counter.
    """

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self._services = services
        token = services.settings.auth_token
        self._token = token.get_secret_value().encode() if token is not None else None
        self._metrics_public = services.settings.metrics_public

    def _is_open(self, path: str) -> bool:
        return (
            self._token is None
            or path in _OPEN_PATHS
            or path.startswith(_ADMIN_PREFIX)
            or (self._metrics_public and path == "/metrics")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass authorised requests through; answer the others with a 401 envelope."""
        if scope["type"] != "http" or self._is_open(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        presented = presented_token(scope)
        if token_matches(presented, self._token):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, send, presented is not None)

    async def _refuse(self, scope: Scope, send: Send, had_token: bool) -> None:
        route = route_label(scope.get("path", ""))
        self._services.telemetry.instruments.http_unauthorized.add(1, {"http.route": route})
        _log.warning("http_request_unauthorized", route=route, method=scope.get("method"), token_presented=had_token)
        challenge = 'Bearer realm="mcp-observatory"' + (', error="invalid_token"' if had_token else "")
        body = json.dumps(
            {
                "status": "error",
                "error": "send the server's token as `Authorization: Bearer <MCP_SERVER_AUTH_TOKEN>`",
                "type": "unauthorized",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", challenge.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
