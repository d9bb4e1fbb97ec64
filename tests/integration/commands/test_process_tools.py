"""Background processes through a real MCP client: offsets, input, kill, limits, resource updates."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Callable
from typing import Any

import mcp_types
import pytest
from fastmcp import Client
from mcp.client.subscriptions import listen

from mcp_server.app import App
from observability import Telemetry
from observability.testing import metric_value
from tests.helpers.processes import all_gone, is_gone

AppFactory = Callable[..., Any]  # the `app_with` fixture (conftest)

TEXT = "ascii line\nnon-ascii: héllo wörld € 🙂\nno newline at the end"


async def tool(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool_mcp(name, arguments)
    assert not result.is_error, result.structured_content
    return result.structured_content["result"]


async def read_all(
    client: Client, process_id: str, max_bytes: int
) -> tuple[str, list[dict[str, Any]]]:
    """Follow a process with small reads until eof; return the text and every read."""
    offset, text, reads = 0, "", []
    while True:
        chunk = await tool(
            client,
            "read_process_output",
            process_id=process_id,
            offset=offset,
            max_bytes=max_bytes,
            wait_s=2,
        )
        reads.append(chunk)
        assert chunk["offset"] == offset and chunk["dropped_bytes"] == 0
        text += chunk["output"]
        offset = chunk["next_offset"]
        if chunk["eof"]:
            return text, reads


class TestReading:
    @pytest.mark.parametrize("max_bytes", [1, 3, 7, 64])
    async def test_partial_reads_reassemble_the_exact_output(
        self, client: Client, max_bytes: int
    ) -> None:
        """Reads that end mid-line (and mid-character) lose and repeat nothing."""
        started = await tool(client, "start_process", command=["printf", "%s", TEXT])
        text, reads = await read_all(client, started["process_id"], max_bytes)
        assert text == TEXT
        assert reads[-1]["next_offset"] == len(TEXT.encode())
        assert reads[-1]["status"] == "exited" and reads[-1]["exit_code"] == 0

    async def test_a_reader_that_falls_behind_gets_dropped_bytes(
        self, app_with: AppFactory
    ) -> None:
        """With a 4 KiB ring, reading 20 000 bytes late reports exactly what was overwritten."""
        with app_with(max_output_bytes=4096) as (built, _telemetry):
            async with Client(built.mcp) as client:
                started = await tool(
                    client, "start_process", command="head -c 20000 /dev/zero | tr '\\0' y"
                )
                await built.services.processes.get(started["process_id"]).wait_finished(10)
                chunk = await tool(
                    client,
                    "read_process_output",
                    process_id=started["process_id"],
                    max_bytes=65_536,
                )
        assert chunk["dropped_bytes"] == 20000 - 4096
        assert chunk["offset"] == 20000 - 4096 and chunk["next_offset"] == 20000
        assert chunk["output"] == "y" * 4096

    async def test_wait_s_long_polls_for_new_output(self, client: Client) -> None:
        """A read at the end waits for the next output instead of returning empty."""
        started = await tool(client, "start_process", command="sleep 0.3; echo late")
        chunk = await tool(
            client, "read_process_output", process_id=started["process_id"], wait_s=10
        )
        assert chunk["output"] == "late\n"


class TestInputAndKill:
    async def test_input_reaches_the_process_and_closing_stdin_ends_it(
        self, client: Client
    ) -> None:
        """send_process_input writes to stdin; close_stdin sends EOF."""
        started = await tool(client, "start_process", command=["cat"])
        await tool(client, "send_process_input", process_id=started["process_id"], input="one\n")
        await tool(
            client,
            "send_process_input",
            process_id=started["process_id"],
            input="two\n",
            close_stdin=True,
        )
        text, _ = await read_all(client, started["process_id"], 1000)
        assert text == "one\ntwo\n"

    async def test_kill_process_stops_the_whole_group(self, client: Client, root_dir: Any) -> None:
        """The grandchild dies with the process; status and signal say how it ended."""
        pid_file = root_dir / "inner.pid"
        started = await tool(
            client, "start_process", command=f"sleep 300 & echo $! > {pid_file}; wait"
        )
        for _ in range(100):
            if pid_file.exists() and pid_file.read_text().strip():
                break
            await asyncio.sleep(0.02)
        inner = int(pid_file.read_text())
        killed = await tool(client, "kill_process", process_id=started["process_id"], wait_s=5)
        assert killed["status"] == "killed" and killed["signal"] == "SIGTERM"
        assert is_gone(inner)

    async def test_a_process_ignoring_sigterm_is_killed_after_the_grace(
        self, client: Client
    ) -> None:
        """SIGTERM, then SIGKILL when wait_s runs out."""
        started = await tool(client, "start_process", command="trap '' TERM; sleep 300")
        await asyncio.sleep(0.2)
        killed = await tool(client, "kill_process", process_id=started["process_id"], wait_s=0.3)
        assert killed["status"] == "killed" and killed["signal"] == "SIGKILL"

    @pytest.mark.parametrize(
        "tool_name", ["read_process_output", "send_process_input", "kill_process"]
    )
    async def test_only_processes_this_server_started_can_be_touched(
        self, client: Client, tool_name: str
    ) -> None:
        """An id that is not ours (e.g. a pid) is process_not_found."""
        arguments: dict[str, Any] = {"process_id": "1"}
        if tool_name == "send_process_input":
            arguments["input"] = "x"
        result = await client.call_tool_mcp(tool_name, arguments)
        assert result.is_error and result.structured_content["type"] == "process_not_found"


class TestProcessLimits:
    async def test_max_processes_is_enforced_and_counted(self, app_with: AppFactory) -> None:
        """The third concurrent process is too_many_processes; the gauge counts running ones."""
        with app_with(max_processes=2) as (built, telemetry):
            async with Client(built.mcp) as client:
                first = await tool(client, "start_process", command=["sleep", "300"])
                await tool(client, "start_process", command=["sleep", "300"])
                refused = await client.call_tool_mcp("execute_command", {"command": "true"})
                assert refused.structured_content["type"] == "too_many_processes"
                assert metric_value(telemetry, "mcp_processes_managed") == 2
                await tool(
                    client, "kill_process", process_id=first["process_id"], signal_name="SIGKILL"
                )
                assert (await tool(client, "execute_command", command="true"))["exit_code"] == 0
                listed = await tool(client, "list_processes")
                assert listed["running"] == 1 and len(listed["processes"]) == 2

    async def test_closing_the_services_kills_every_managed_process(
        self, app_with: AppFactory
    ) -> None:
        """Services.close() (the server's shutdown) leaves no managed process alive."""
        with app_with() as (built, _telemetry):
            async with Client(built.mcp) as client:
                pids = [
                    (await tool(client, "start_process", command=["sleep", "300"]))["pid"]
                    for _ in range(3)
                ]
        assert all_gone(pids)

    async def test_an_interactive_shell_is_refused(self, client: Client) -> None:
        """start_process('bash') would run unchecked input: blocked_command."""
        result = await client.call_tool_mcp("start_process", {"command": "bash"})
        assert result.structured_content["type"] == "blocked_command"

    async def test_input_to_an_interpreter_is_scanned(self, client: Client) -> None:
        """Text sent to a python REPL naming a blocked program is refused."""
        started = await tool(client, "start_process", command=["python3", "-i", "-q"])
        refused = await client.call_tool_mcp(
            "send_process_input",
            {"process_id": started["process_id"], "input": "import os; os.system('touch x')\n"},
        )
        assert refused.structured_content["type"] == "blocked_command"
        await tool(client, "kill_process", process_id=started["process_id"], signal_name="SIGKILL")


class TestProcessResource:
    async def test_the_resource_shows_status_and_output_tail(self, client: Client) -> None:
        """process://{id} is JSON with the status and the newest output."""
        started = await tool(client, "start_process", command=["echo", "resource text"])
        await asyncio.sleep(0.3)
        contents = await client.read_resource(started["resource"])
        body = json.loads(contents[0].text)
        assert (
            body["process_id"] == started["process_id"] and body["output_tail"] == "resource text\n"
        )

    async def test_handshake_era_subscribers_get_resource_updated(self, app: App) -> None:
        """resources/subscribe, then notifications/resources/updated as output arrives."""
        updates: list[str] = []

        async def handler(message: Any) -> None:
            if isinstance(message, mcp_types.ResourceUpdatedNotification):
                updates.append(str(message.params.uri))

        async with Client(app.mcp, mode="legacy", message_handler=handler) as client:
            started = await tool(
                client, "start_process", command="sleep 0.2; echo a; sleep 0.3; echo b"
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await client.session.subscribe_resource(started["resource"])
            await app.services.processes.get(started["process_id"]).wait_finished(10)
            await asyncio.sleep(0.3)
        assert updates.count(started["resource"]) >= 2

    async def test_2026_era_listeners_get_resource_updated(self, app: App) -> None:
        """subscriptions/listen with the process URI receives its updates."""
        async with Client(app.mcp) as client:
            started = await tool(client, "start_process", command="sleep 0.3; echo a")
            async with listen(
                client.session, resource_subscriptions=[started["resource"]]
            ) as subscription:
                event = await asyncio.wait_for(subscription.__anext__(), 10)
        assert event.uri == started["resource"]


async def test_the_managed_gauge_reads_zero_when_idle(client: Client, telemetry: Telemetry) -> None:
    """mcp.processes.managed is exported and reads the manager's count."""
    assert metric_value(telemetry, "mcp_processes_managed") == 0
