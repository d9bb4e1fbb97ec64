"""Connecting to the server under test (streamable HTTP or stdio) and classifying call outcomes."""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

Protocol = Literal["auto", "legacy"]


@dataclass(frozen=True)
class Target:
    """Where the server is and how to speak to it.

    Exactly one of `url` (streamable HTTP endpoint) and `stdio` (a command line) is set.
    """

    url: str | None = None
    stdio: str | None = None
    protocol: Protocol = "auto"
    token: str | None = None
    timeout_s: float = 30.0
    stdio_env: dict[str, str] | None = None

    @property
    def transport_name(self) -> str:
        """`http` or `stdio`."""
        return "http" if self.url else "stdio"

    def client(self) -> Client[Any]:
        """A new, unconnected fastmcp.Client for this target."""
        if self.url:
            transport: Any = StreamableHttpTransport(self.url, auth=self.token)
        else:
            argv = shlex.split(self.stdio or "")
            env = {**os.environ, **(self.stdio_env or {})}
            # The server's stderr (its logs) would tear through the progress line.
            transport = StdioTransport(
                argv[0], argv[1:], env=env, keep_alive=False, log_file=Path(os.devnull)
            )
        return Client(
            transport, mode=self.protocol, timeout=self.timeout_s, init_timeout=self.timeout_s
        )


@contextlib.asynccontextmanager
async def open_sessions(target: Target, count: int) -> AsyncIterator[list[Client[Any]]]:
    """Connect `count` sessions (HTTP) or one shared session (stdio), close them all on exit.

    A stdio server serves exactly one client over its pipes, so the `count` workers of a
    stdio load test share one connection and keep `count` requests in flight on it.
    """
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(target.client())
            for _ in range(count if target.url else 1)
        ]
        yield clients


def error_type_of_result(result: Any) -> str | None:
    """The error type of a tool result: the SPEC 7 envelope's `type`, `tool_error` without one."""
    if not getattr(result, "is_error", False):
        return None
    structured = getattr(result, "structured_content", None)
    reported = structured.get("type") if isinstance(structured, dict) else None
    return reported if isinstance(reported, str) and reported else "tool_error"


def error_type_of_exception(exc: BaseException) -> str:
    """A stable label for a call that failed without a result (protocol or transport)."""
    if isinstance(exc, MCPError):
        code = exc.error.code
        if code == REQUEST_TIMEOUT:
            return "client_timeout"
        return "connection_closed" if code == CONNECTION_CLOSED else f"jsonrpc_error_{code}"
    if isinstance(exc, TimeoutError):
        return "client_timeout"
    return f"client_{type(exc).__name__}"


async def call(client: Client[Any], tool: str, arguments: dict[str, Any]) -> str | None:
    """Call one tool; return None on success or the error type.

    Every failure is returned, never raised: a load test counts errors, it does not stop at one.
    """
    try:
        result = await client.call_tool_mcp(tool, arguments)
    # Load-generator boundary: any failure of one call is data (counted by type), not a crash.
    except Exception as exc:  # noqa: BLE001
        return error_type_of_exception(exc)
    return error_type_of_result(result)
