"""Hostile commands against the real server over HTTP: each ends with the right flags or error,
the server keeps serving, and its memory (RSS, in bytes) stays bounded.

One server (a subprocess, both protocol eras) serves the whole module; its memory limit per
child is 512 MiB and its output cap the default 64 KiB per stream (a result carries its
output twice and MCP clients refuse SSE events over 1 MiB).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import psutil
import pytest
from fastmcp import Client

from mcp_server.execution.limits import PidsCgroups
from tests.helpers.processes import all_gone, descendants
from tests.helpers.server_process import HttpServer, server_env

MIB = 1_048_576
CAP = 65_536  # the default MCP_SERVER_MAX_OUTPUT_BYTES


@pytest.fixture(scope="module")
def limits_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The allowed root of the module's server."""
    root = tmp_path_factory.mktemp("limits") / "root"
    root.mkdir()
    return root


@pytest.fixture(scope="module")
def server(limits_root: Path) -> Iterator[HttpServer]:
    """The real server over streamable HTTP (sandbox when bubblewrap works)."""
    env = server_env(
        limits_root.parent / "data",
        limits_root,
        {"MCP_SERVER_MEMORY_LIMIT_MB": "512", "MCP_SERVER_LOG_LEVEL": "WARNING"},
    )
    with HttpServer(env) as running:
        yield running


class RssSampler:
    """Samples a process's RSS in a thread while a block runs; `peak` in bytes."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def execute(server: HttpServer, era: str, **arguments: Any) -> Any:
    async with Client(server.url, mode=era, timeout=120) as client:
        result = await client.call_tool_mcp("execute_command", arguments)
        alive = await client.call_tool_mcp("calculate", {"expression": "6*7"})
        assert alive.structured_content["result"]["value"] == 42, "the server keeps serving"
    return result


def no_children_left(server: HttpServer) -> bool:
    return all_gone(descendants(server.process.pid))


class TestHostileCommands:
    def test_a_gigabyte_of_output_keeps_exact_counts_and_bounded_memory(
        self, server: HttpServer
    ) -> None:
        """1 GiB on stdout: exact byte count, head and tail kept, server RSS grows < 64 MiB."""
        with RssSampler(server.process.pid) as rss:
            result = asyncio.run(
                execute(server, "auto", command="yes abcdefg | head -c 1073741824", timeout_s=120)
            )
        body = result.structured_content["result"]
        assert body["stdout_bytes"] == 1_073_741_824 and body["exit_code"] == 0
        assert body["truncated"] is True and body["stdout_dropped_bytes"] == 1_073_741_824 - CAP
        assert body["stdout"].startswith("abcdefg\n")
        assert rss.peak - rss.baseline < 64 * MIB, (
            f"RSS grew by {(rss.peak - rss.baseline) / MIB:.1f} MiB"
        )

    @pytest.mark.parametrize("source", ["/dev/urandom", "/dev/zero"])
    def test_binary_output_fits_what_clients_accept(
        self, server: HttpServer, source: str, era: str
    ) -> None:
        """10 MB of binary on both streams: a result the client can read, with exact counts."""
        command = f"head -c 10000000 {source}; head -c 10000000 {source} >&2"
        result = asyncio.run(execute(server, era, command=command, timeout_s=60))
        body = result.structured_content["result"]
        assert body["stdout_bytes"] == body["stderr_bytes"] == 10_000_000
        assert body["stdout_dropped_bytes"] == body["stderr_dropped_bytes"] == 10_000_000 - CAP

    def test_endless_output_times_out_with_bounded_memory(self, server: HttpServer) -> None:
        """`yes` until the timeout: timed_out, truncated, the count covers every byte read."""
        with RssSampler(server.process.pid) as rss:
            result = asyncio.run(execute(server, "legacy", command="yes", timeout_s=2))
        body = result.structured_content["result"]
        assert body["timed_out"] is True and body["truncated"] is True
        assert body["stdout_bytes"] > CAP and body["stdout"].startswith("y\ny\n")
        assert body["stdout_bytes"] == body["stdout_dropped_bytes"] + CAP
        assert rss.peak - rss.baseline < 64 * MIB
        assert no_children_left(server)

    def test_an_endless_loop_times_out(self, server: HttpServer) -> None:
        """A busy loop is killed at the timeout."""
        result = asyncio.run(execute(server, "auto", command="while :; do :; done", timeout_s=1))
        body = result.structured_content["result"]
        assert body["timed_out"] is True and body["signal"] == "SIGKILL"
        assert no_children_left(server)

    def test_a_memory_hog_hits_the_address_space_limit(self, server: HttpServer) -> None:
        """Allocating 2 GiB under a 512 MiB limit fails inside the child, not the server."""
        with RssSampler(server.process.pid) as rss:
            result = asyncio.run(
                execute(
                    server,
                    "auto",
                    command=["python3", "-c", "x = bytearray(2 * 1024**3)"],
                    timeout_s=20,
                )
            )
        body = result.structured_content["result"]
        assert body["exit_code"] != 0 and "MemoryError" in body["stderr"]
        assert rss.peak - rss.baseline < 64 * MIB

    def test_a_fork_bomb_is_contained_and_cleaned_up(self, server: HttpServer) -> None:
        """A fork bomb runs into the process limit; when the command ends, nothing is left."""
        if os.geteuid() == 0 and PidsCgroups.detect() is None:
            pytest.skip(
                "as root without a writable pids cgroup nothing bounds a fork bomb but the timeout"
            )
        with RssSampler(server.process.pid) as rss:
            result = asyncio.run(
                execute(server, "legacy", command="b() { b | b & }; b; sleep 3", timeout_s=10)
            )
        body = result.structured_content["result"]
        assert not result.is_error and body["timed_out"] is False
        assert "fork" in body["stderr"] and "Resource temporarily unavailable" in body["stderr"]
        assert no_children_left(server)
        assert rss.peak - rss.baseline < 64 * MIB

    def test_a_client_that_disconnects_over_http_leaves_no_process(
        self, server: HttpServer, limits_root: Path
    ) -> None:
        """The HTTP client goes away mid-command; the command's tree is killed."""
        pid_file = limits_root / "http-disconnect.pid"

        async def connect_and_abandon() -> None:
            async with Client(server.url, mode="legacy") as client:
                call = asyncio.create_task(
                    client.call_tool_mcp(
                        "execute_command", {"command": f"sleep 300 & echo $! > {pid_file}; wait"}
                    )
                )
                for _ in range(500):
                    if pid_file.exists() and pid_file.read_text().strip():
                        break
                    await asyncio.sleep(0.01)
                call.cancel()

        asyncio.run(connect_and_abandon())
        assert no_children_left(server)
