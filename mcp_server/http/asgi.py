"""The streamable-HTTP ASGI app: `/mcp` and the other routes, behind Origin/Host and bearer checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.middleware import Middleware

from mcp_server.http.auth import BearerAuthMiddleware

if TYPE_CHECKING:
    from fastmcp.server.http import StarletteWithLifespan

    from mcp_server.app import App


def build_http_app(app: App) -> StarletteWithLifespan:
    """Build the ASGI app served by uvicorn.

    Origin and Host are validated by FastMCP's DNS-rebinding guard (`"auto"`: always for a
    loopback bind, and wherever `MCP_SERVER_ALLOWED_ORIGINS`/`_HOSTS` are set); bearer auth
    covers every route but `/healthz` when `MCP_SERVER_AUTH_TOKEN` is set.
    """
    settings = app.services.settings
    return app.mcp.http_app(
        path="/mcp",
        middleware=[Middleware(BearerAuthMiddleware, services=app.services)],
        host_origin_protection="auto",
        allowed_origins=settings.allowed_origins,
        allowed_hosts=settings.allowed_hosts,
    )
