"""A client that cancels or disconnects during execute_command leaves no process behind."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from fastmcp import Client

from mcp_server.app import App
from tests.helpers.processes import is_gone


async def wait_for_pid(pid_file: Path) -> int:
    for _ in range(500):
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        if text:
            return int(text)
        await asyncio.sleep(0.01)
    raise AssertionError("the command never wrote its pid")


async def wait_until_gone(pid: int) -> bool:
    for _ in range(300):
        if is_gone(pid):
            return True
        await asyncio.sleep(0.01)
    return False


COMMAND = "sleep 300 & echo $! > {pid}; wait"


class TestNoOrphans:
    async def test_cancelling_the_call_kills_the_process_tree(
        self, app: App, root_dir: Path, era: str
    ) -> None:
        """The client cancels the request (notifications/cancelled); the sleeping grandchild dies."""
        pid_file = root_dir / "cancel.pid"
        async with Client(app.mcp, mode=era) as client:
            call = asyncio.create_task(
                client.call_tool_mcp("execute_command", {"command": COMMAND.format(pid=pid_file)})
            )
            pid = await wait_for_pid(pid_file)
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
            assert await wait_until_gone(pid)
            assert app.services.processes.count() == 0
            follow_up = await client.call_tool_mcp(
                "execute_command", {"command": "echo still serving"}
            )
            assert follow_up.structured_content["result"]["stdout"] == "still serving\n"

    async def test_disconnecting_mid_command_kills_the_process_tree(
        self, app: App, root_dir: Path, era: str
    ) -> None:
        """The whole client goes away while the command runs; nothing it started survives."""
        pid_file = root_dir / "disconnect.pid"

        async def connect_and_call() -> None:
            async with Client(app.mcp, mode=era) as client:
                await client.call_tool_mcp(
                    "execute_command", {"command": COMMAND.format(pid=pid_file)}
                )

        session = asyncio.create_task(connect_and_call())
        pid = await wait_for_pid(pid_file)
        session.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await session
        assert await wait_until_gone(pid)
        assert app.services.processes.count() == 0
