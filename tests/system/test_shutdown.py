"""SIGTERM while serving: in-flight calls get the grace period, managed processes die, the spans
of finished calls are flushed, and the server exits 0."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import psutil
import pytest
from fastmcp import Client

from tests.helpers.otlp_receiver import HttpOtlpReceiver
from tests.helpers.server_process import HttpServer, server_env

GRACE_S = 2
FOREGROUND = ["sleep", "30.731"]  # distinctive argv, so the test can look for leftovers
BACKGROUND = ["sleep", "300.731"]


def _alive(argv: list[str]) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["cmdline"] == argv and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


async def _wait_until(predicate: object, attempts: int = 100) -> bool:
    for _ in range(attempts):
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_during_work_drains_kills_children_flushes_and_exits_0(
    tmp_path: Path, root_dir: Path, signum: int
) -> None:
    """Finished calls' spans reach the collector; the running command and the background
    process are gone afterwards; the exit status is 0."""
    with HttpOtlpReceiver() as sink:
        env = server_env(
            tmp_path / "data",
            root_dir,
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "600000",  # only the shutdown flush can deliver the spans
                "MCP_SERVER_SHUTDOWN_GRACE_S": str(GRACE_S),
            },
        )
        server = HttpServer(env).wait_ready()
        async with Client(server.url, mode="legacy") as client:
            for i in range(5):
                assert not (await client.call_tool_mcp("calculate", {"expression": f"{i}+1"})).is_error
            started = await client.call_tool_mcp("start_process", {"command": BACKGROUND})
            assert not started.is_error, started.content
            running = asyncio.create_task(
                client.call_tool_mcp("execute_command", {"command": FOREGROUND, "timeout_s": 60})
            )
            assert await _wait_until(lambda: _alive(FOREGROUND) and _alive(BACKGROUND))
            server.process.send_signal(signum)
            # Bounded by the grace period plus teardown, not by `sleep 30` (TimeoutExpired if not).
            status = await asyncio.to_thread(server.process.wait, GRACE_S + 20)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        assert status == 0
        assert await _wait_until(lambda: not _alive(FOREGROUND) and not _alive(BACKGROUND)), "no orphan"
        names = [span.name for span in sink.received.spans()]
        assert names.count("mcp.tool.calculate") == 5, "finished calls were flushed at shutdown"
        assert any("server_stopped" in line for line in server.stderr_lines)
