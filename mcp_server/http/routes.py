"""`GET /metrics`, `GET /healthz`, `GET /readyz` (and the admin routes) as Starlette routes (SPEC 5)."""

from __future__ import annotations

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcp_server.health import liveness, readiness
from mcp_server.http.admin import admin_routes
from mcp_server.services import Services


def build_routes(services: Services) -> list[Route]:
    """The operational routes, bound to `services`."""

    async def metrics(_request: Request) -> Response:
        # Collection runs the psutil callbacks: keep it off the event loop.
        body = await anyio.to_thread.run_sync(generate_latest, services.telemetry.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse(liveness(services))

    async def readyz(_request: Request) -> JSONResponse:
        body = await anyio.to_thread.run_sync(readiness, services)
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    return [
        Route("/metrics", metrics, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *admin_routes(services),
    ]


def build_metrics_app(services: Services) -> Starlette:
    """A small app for the stdio transport's `MCP_SERVER_METRICS_PORT`."""
    return Starlette(routes=build_routes(services))
