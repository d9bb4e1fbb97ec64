"""The sandbox with real bubblewrap: writes outside the roots fail, no network, it dies with the server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from fastmcp import Client

from mcp_server.app import App, build_app, telemetry_config
from observability.testing import setup_for_tests
from tests.conftest import require_binary
from tests.helpers.processes import all_gone, descendants
from tests.helpers.server_process import HttpServer, server_env


@pytest.fixture
def sandbox_app(make_settings: Any) -> Iterator[App]:
    """An in-process server whose commands run under bubblewrap."""
    require_binary("bwrap")
    settings = make_settings(execution="sandbox")
    telemetry, _ = setup_for_tests(telemetry_config(settings))
    built = build_app(settings, telemetry)
    yield built
    built.services.close()


async def run(app: App, command: str | list[str], **extra: Any) -> dict[str, Any]:
    async with Client(app.mcp) as client:
        result = await client.call_tool_mcp("execute_command", {"command": command, **extra})
    assert not result.is_error, result.structured_content
    return result.structured_content["result"]


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP server on the host's loopback that accepts connections (port)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


CONNECT = "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 3); print('connected')"


class TestFilesystem:
    async def test_writes_inside_the_roots_reach_the_host(
        self, sandbox_app: App, root_dir: Path
    ) -> None:
        """The allowed root is mounted read-write."""
        result = await run(sandbox_app, "echo inside > written.txt && cat written.txt")
        assert result["exit_code"] == 0 and (root_dir / "written.txt").read_text() == "inside\n"

    @pytest.mark.parametrize("target", ["/etc/mcp-sandbox-probe", "/usr/mcp-sandbox-probe"])
    async def test_writes_to_the_system_fail(self, sandbox_app: App, target: str) -> None:
        """System directories are read-only inside the sandbox."""
        result = await run(sandbox_app, ["sh", "-c", f"echo x > {target}"])
        assert result["exit_code"] != 0 and "Read-only file system" in result["stderr"]
        assert not os.path.exists(target)

    async def test_host_paths_outside_the_roots_are_not_there(
        self, sandbox_app: App, tmp_path: Path
    ) -> None:
        """A host directory next to the root (and the server's data dir) cannot be written or even seen."""
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text("host secret")
        data_dir = sandbox_app.services.settings.data_dir
        result = await run(
            sandbox_app,
            f"cat {outside}/secret.txt; echo x > {outside}/new; ls {data_dir}; touch {data_dir}/x",
        )
        assert "host secret" not in result["stdout"]
        assert not (outside / "new").exists() and not (data_dir / "x").exists()
        assert result["stderr"].count("No such file or directory") >= 3

    async def test_tmp_is_private(self, sandbox_app: App, tmp_path: Path) -> None:
        """The host's /tmp files are invisible; what the command writes to /tmp stays in it."""
        (tmp_path / "host-file").write_text("x")
        result = await run(
            sandbox_app,
            f"ls {tmp_path}; echo private > /tmp/mcp-private-probe; cat /tmp/mcp-private-probe",
        )
        assert result["stdout"] == "root\nprivate\n"  # only the bound root, not the host's file
        assert not Path("/tmp/mcp-private-probe").exists()


class TestNetwork:
    async def test_the_network_is_unreachable(self, sandbox_app: App, listener: int) -> None:
        """Even the host's loopback cannot be reached without MCP_SERVER_SANDBOX_NETWORK."""
        result = await run(sandbox_app, ["python3", "-c", CONNECT, str(listener)])
        assert result["exit_code"] != 0 and "connected" not in result["stdout"]
        assert (
            "Network is unreachable" in result["stderr"] or "Connection refused" in result["stderr"]
        )

    async def test_sandbox_network_true_allows_it(self, make_settings: Any, listener: int) -> None:
        """Control: with the setting on, the same connection succeeds."""
        require_binary("bwrap")
        settings = make_settings(execution="sandbox", sandbox_network=True)
        telemetry, _ = setup_for_tests(telemetry_config(settings))
        built = build_app(settings, telemetry)
        try:
            result = await run(built, ["python3", "-c", CONNECT, str(listener)])
        finally:
            built.services.close()
        assert result["stdout"] == "connected\n"


class TestLifetime:
    @pytest.mark.parametrize(
        ("execution", "stop_signal"),
        [("sandbox", signal.SIGKILL), ("direct", signal.SIGTERM)],
        ids=["sandbox-sigkill", "direct-sigterm"],
    )
    def test_managed_processes_die_with_the_server(
        self, tmp_path: Path, root_dir: Path, execution: str, stop_signal: int
    ) -> None:
        """Background processes (and their sandboxes) are gone once the server is."""
        if execution == "sandbox":
            require_binary("bwrap")
        env = server_env(tmp_path / "data", root_dir, {"MCP_SERVER_EXECUTION": execution})
        with HttpServer(env) as server:

            async def start() -> None:
                async with Client(server.url) as client:
                    for _ in range(2):
                        result = await client.call_tool_mcp(
                            "start_process", {"command": ["sleep", "300"]}
                        )
                        assert not result.is_error, result.structured_content

            asyncio.run(start())
            children = descendants(server.process.pid)
            assert any(psutil.Process(pid).name() == "sleep" for pid in children)
            server.stop(stop_signal)
        assert all_gone(children)


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="bubblewrap is Linux-only")


class TestBackgroundInTheSandbox:
    async def test_a_process_that_exits_at_once_is_finished_and_releases_its_slot(
        self, sandbox_app: App
    ) -> None:
        """A sandboxed background process that ends before its start is reported still ends cleanly."""
        async with Client(sandbox_app.mcp) as client:
            for _ in range(3):
                started = await client.call_tool_mcp("start_process", {"command": ["true"]})
                process = sandbox_app.services.processes.get(
                    started.structured_content["result"]["process_id"]
                )
                assert await process.wait_finished(10)
            listed = (await client.call_tool_mcp("list_processes", {})).structured_content["result"]
        assert listed["running"] == 0 and sandbox_app.services.processes.count() == 0
        assert {p["status"] for p in listed["processes"]} == {"exited"}
