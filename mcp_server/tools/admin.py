"""The `admin` group (off by default): `configure_telemetry`, the MCP face of SPEC 9.7.

Admin actions need the admin token (SPEC section 8), on every transport: the tool takes it as
its `admin_token` argument (redacted on spans like every `*token*` key) and compares it in
constant time with `MCP_SERVER_ADMIN_TOKEN`. Enabling the group is not enough on its own, so a
client that may call tools cannot re-point telemetry unless it also holds the admin token.

The arguments are the same JSON object as the body of `POST /admin/telemetry`, and both go
through `observability.apply_telemetry_update`. A key the client leaves out keeps its value,
which is not the same as `"endpoint": null` (OTLP off): each parameter's default is a
sentinel set through `default_factory`, so the JSON schema shows no default and an omitted
key is told apart from an explicit null.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from pydantic import Field

from mcp_server.errors import InvalidArgumentsError, UnauthorizedError
from mcp_server.security.tokens import token_matches
from mcp_server.services import Services
from mcp_server.tool_registry import ToolRegistry
from observability import (
    MAX_EXPORT_INTERVAL_MS,
    MIN_EXPORT_INTERVAL_MS,
    ReconfigurationError,
    TelemetryDisabledError,
    apply_telemetry_update,
)

GROUP = "admin"


class _Omitted:
    """Marks a parameter the client did not send."""

    def __repr__(self) -> str:
        return "<omitted>"


_OMITTED: Any = _Omitted()


def _omitted() -> Any:
    return _OMITTED


def _check_admin_token(services: Services, presented: str) -> None:
    expected = services.settings.admin_token
    if expected is None:
        message = "configure_telemetry needs MCP_SERVER_ADMIN_TOKEN to be set on the server"
        raise UnauthorizedError(message)
    if not token_matches(presented, expected.get_secret_value().encode()):
        message = "wrong admin token: pass MCP_SERVER_ADMIN_TOKEN as `admin_token`"
        raise UnauthorizedError(message)


def register(registry: ToolRegistry, services: Services) -> None:
    """Add `configure_telemetry`."""

    async def configure_telemetry(
        admin_token: Annotated[
            str, Field(min_length=1, max_length=1024, description="The server's MCP_SERVER_ADMIN_TOKEN.")
        ],
        endpoint: Annotated[
            str | None,
            Field(
                default_factory=_omitted,
                max_length=2048,
                description="OTLP base URL, e.g. http://127.0.0.1:4318 (HTTP) or http://127.0.0.1:4317 "
                "(gRPC); null turns OTLP off (traces to the local file, metrics on /metrics only).",
            ),
        ],
        protocol: Annotated[
            Literal["grpc", "http/protobuf"],
            Field(default_factory=_omitted, description="OTLP transport."),
        ],
        headers: Annotated[
            dict[str, str],
            Field(
                default_factory=_omitted,
                max_length=32,
                description="Headers sent with every export (e.g. authorization); replaces the previous set.",
            ),
        ],
        sampler_ratio: Annotated[
            float,
            Field(default_factory=_omitted, ge=0, le=1, description="Fraction of new traces recorded (0..1)."),
        ],
        export_interval_ms: Annotated[
            int,
            Field(
                default_factory=_omitted,
                ge=MIN_EXPORT_INTERVAL_MS,
                le=MAX_EXPORT_INTERVAL_MS,
                description="How often metrics are pushed over OTLP, in milliseconds.",
            ),
        ],
        resource_attributes: Annotated[
            dict[str, str | int | float | bool],
            Field(
                default_factory=_omitted,
                max_length=64,
                description="Resource attributes added to all telemetry (e.g. deployment.environment); "
                "replaces the previous set.",
            ),
        ],
    ) -> dict[str, Any]:
        """Change where this server sends its traces and metrics, while it keeps serving.

        Every argument is optional; leave out what should stay as it is. Telemetry recorded
        before the change is delivered to the old endpoint, telemetry after it to the new one;
        no tool call fails because of the change. The change is checked whole first: if any
        value is wrong (a URL that is not http(s) with a host, a header with line breaks, a
        ratio outside 0..1), nothing changes and the error says what to fix.

        Returns `changed` (false when the configuration was already so), `previous` (the old
        configuration, header names only) and `telemetry` (the new status with exporter
        health, as `telemetry_status` shows it). A new endpoint that is down is not an error
        here: watch `telemetry.traces.consecutive_failures` in `telemetry_status`.

        Errors: unauthorized (missing or wrong admin token, or no admin token configured),
        invalid_arguments (a bad value, or telemetry is off on this server).
        """
        _check_admin_token(services, admin_token)
        given = {
            "endpoint": endpoint,
            "protocol": protocol,
            "headers": headers,
            "sampler_ratio": sampler_ratio,
            "export_interval_ms": export_interval_ms,
            "resource_attributes": resource_attributes,
        }
        update = {key: value for key, value in given.items() if value is not _OMITTED}
        try:
            # Off the event loop: switches are serialised, so this one may wait for another.
            return await anyio.to_thread.run_sync(apply_telemetry_update, services.telemetry, update, "tool")
        except (ReconfigurationError, TelemetryDisabledError) as exc:
            message = str(exc)
            raise InvalidArgumentsError(message) from None

    registry.add(configure_telemetry, group=GROUP, read_only=False, idempotent=True, open_world=True)
