"""Run the server on stdio or streamable HTTP, with signal handling and an orderly shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn

import observability
from mcp_server import __version__
from mcp_server.app import App, build_app, telemetry_config
from mcp_server.http.asgi import build_http_app
from mcp_server.http.routes import build_metrics_app
from mcp_server.reload import reload_telemetry
from mcp_server.settings import Settings

_log = observability.get_logger("mcp_server")


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` owns SIGTERM/SIGINT/SIGHUP.

    uvicorn re-raises a caught SIGTERM after its graceful shutdown, which would end the
    process with a signal status before telemetry is flushed; we want a drain, a flush and
    exit status 0.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def bound_port(self) -> int | None:
        """The port actually bound (useful with port 0)."""
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return None


def _announce(lines: list[str]) -> None:
    # stderr: on stdio, stdout is the MCP channel; on HTTP it keeps one place to look.
    for line in lines:
        print(line, file=sys.stderr, flush=True)


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, on_stop: Callable[[], None]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_stop)


def _install_reload_handler(loop: asyncio.AbstractEventLoop, app: App, settings: Settings) -> None:
    """SIGHUP re-reads `--config` and applies its telemetry settings (SPEC 9.7)."""
    pending: set[asyncio.Task[Any]] = set()  # keeps running reloads referenced until done

    def on_hangup() -> None:
        _log.info("config_reload_requested", file=str(settings.config_file) if settings.config_file else None)
        task = loop.create_task(reload_telemetry(settings, app.services.telemetry))
        pending.add(task)
        task.add_done_callback(pending.discard)

    if hasattr(signal, "SIGHUP"):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, on_hangup)


def _uvicorn(app: Any, host: str, port: int, grace_s: float) -> _Uvicorn:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=max(int(grace_s), 1),
        access_log=False,
    )
    return _Uvicorn(config)


async def _serve_http(app: App, settings: Settings) -> None:
    server = _uvicorn(build_http_app(app), settings.host, settings.port, settings.shutdown_grace_s)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        _log.info("shutdown_requested", grace_s=settings.shutdown_grace_s)
        server.should_exit = True

    _install_signal_handlers(loop, stop)
    _install_reload_handler(loop, app, settings)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started:
        base = f"http://{settings.host}:{server.bound_port()}"
        _announce(
            [
                f"mcp-observatory {__version__} is serving",
                f"  MCP endpoint (streamable HTTP): {base}/mcp",
                f"  Prometheus metrics:             {base}/metrics",
                f"  health / readiness:             {base}/healthz  {base}/readyz",
                f"  command execution:              {app.services.execution}",
                f"  traces: {app.services.telemetry.health['traces'].target}",
            ]
        )
        _log.info("server_started", transport="http", url=f"{base}/mcp", port=server.bound_port())
    await task


async def _serve_stdio(app: App, settings: Settings) -> None:
    metrics_server: _Uvicorn | None = None
    metrics_task: asyncio.Task[None] | None = None
    lines = [f"mcp-observatory {__version__} is serving MCP on stdio"]
    if settings.metrics_port is not None:
        metrics_server = _uvicorn(build_metrics_app(app.services), settings.host, settings.metrics_port, 1)
        metrics_task = asyncio.create_task(metrics_server.serve())
        while not metrics_server.started and not metrics_task.done():
            await asyncio.sleep(0.02)
        lines.append(f"  Prometheus metrics: http://{settings.host}:{metrics_server.bound_port()}/metrics")
    lines.append(f"  command execution: {app.services.execution}")
    lines.append(f"  traces: {app.services.telemetry.health['traces'].target}")
    _announce(lines)
    mcp_task = asyncio.create_task(app.mcp.run_stdio_async(show_banner=False))
    _install_signal_handlers(asyncio.get_running_loop(), mcp_task.cancel)
    _install_reload_handler(asyncio.get_running_loop(), app, settings)
    _log.info("server_started", transport="stdio", metrics_port=settings.metrics_port)
    try:
        await mcp_task
    except asyncio.CancelledError:
        _log.info("shutdown_requested", transport="stdio")
    finally:
        if metrics_server is not None and metrics_task is not None:
            metrics_server.should_exit = True
            await metrics_task


async def serve(settings: Settings) -> int:
    """Set up telemetry, build the app, serve until stopped, then flush and close.

    Returns:
        The process exit status (0 after an orderly shutdown).
    """
    telemetry = observability.setup(telemetry_config(settings))
    _log.info("server_starting", version=__version__, settings=settings.summary())
    app = build_app(settings, telemetry)
    try:
        if settings.transport == "stdio":
            await _serve_stdio(app, settings)
        else:
            await _serve_http(app, settings)
    finally:
        app.services.close()
        telemetry.shutdown()
        _log.info("server_stopped")
    return 0
