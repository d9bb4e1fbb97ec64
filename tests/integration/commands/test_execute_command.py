"""execute_command through a real MCP client: results, limits, environment, progress, cache, spans."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from opentelemetry.trace import SpanKind

from mcp_server.app import App
from observability import Telemetry
from observability.testing import metric_value
from tests.helpers.processes import all_gone, descendants, is_gone

AppFactory = Callable[..., Any]  # the `app_with` fixture (conftest)


async def run(client: Client, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool_mcp("execute_command", arguments)
    assert not result.is_error, result.structured_content
    return result.structured_content["result"]


class TestResults:
    async def test_shell_text_returns_exit_code_and_both_streams(self, app: App, era: str) -> None:
        """Pipes, redirection and exit codes work, in both protocol eras."""
        async with Client(app.mcp, mode=era) as client:
            result = await run(
                client, command="echo out; echo err >&2; printf 'a\\nb\\n' | wc -l; exit 3"
            )
        assert result["exit_code"] == 3
        assert result["stdout"] == "out\n2\n" and result["stderr"] == "err\n"
        assert (result["stdout_bytes"], result["stderr_bytes"]) == (6, 4)
        assert (
            result["truncated"] is False
            and result["timed_out"] is False
            and result["cached"] is False
        )

    async def test_an_argv_list_runs_without_a_shell(self, client: Client) -> None:
        """Shell syntax in argv items is literal."""
        result = await run(client, command=["echo", "$HOME", "a;b", "`x`"])
        assert result["stdout"] == "$HOME a;b `x`\n"

    async def test_cwd_is_a_directory_inside_the_roots(
        self, client: Client, root_dir: Path
    ) -> None:
        """Relative cwd is taken from the first root."""
        (root_dir / "sub").mkdir()
        result = await run(client, command="pwd", cwd="sub")
        assert result["stdout"].strip() == str(root_dir / "sub")

    async def test_stdin_is_fed_to_the_command(self, client: Client) -> None:
        """The stdin argument reaches the process; without it stdin is empty."""
        assert (await run(client, command="tr a-z A-Z", stdin="hello"))["stdout"] == "HELLO"
        assert (await run(client, command="cat"))["stdout"] == ""

    async def test_a_missing_program_in_argv_form_is_not_found(self, client: Client) -> None:
        """An argv whose program does not exist is not_found before anything starts."""
        result = await client.call_tool_mcp("execute_command", {"command": ["no-such-program-xyz"]})
        assert result.is_error and result.structured_content["type"] == "not_found"


class TestLimits:
    async def test_a_timeout_kills_the_whole_group(self, client: Client, root_dir: Path) -> None:
        """The result says timed_out, and the grandchild that was sleeping is gone too."""
        pid_file = root_dir / "grandchild.pid"
        result = await run(client, command=f"sleep 300 & echo $! > {pid_file}; wait", timeout_s=0.5)
        assert result["timed_out"] is True and result["signal"] == "SIGKILL"
        grandchild = int(pid_file.read_text())
        assert is_gone(grandchild)

    async def test_a_timeout_above_the_setting_is_capped(self, client: Client, app: App) -> None:
        """No call can widen MCP_SERVER_COMMAND_TIMEOUT_S."""
        result = await run(client, command="true", timeout_s=3600)
        assert result["timeout_s"] == app.services.settings.command_timeout_s

    async def test_output_beyond_the_cap_keeps_head_and_tail_with_exact_counts(
        self, app_with: AppFactory
    ) -> None:
        """3 MB through a 4 KiB cap: head, marker, tail, and exact byte counts."""
        with app_with(max_output_bytes=4096) as (built, _telemetry):
            async with Client(built.mcp) as client:
                result = await run(
                    client,
                    command="printf START; head -c 3000000 /dev/zero | tr '\\0' x; printf END",
                )
        assert result["stdout_bytes"] == 3_000_008
        assert result["stdout_dropped_bytes"] == 3_000_008 - 4096
        assert result["truncated"] is True
        assert result["stdout"].startswith("START") and result["stdout"].endswith("END")
        assert f"{3_000_008 - 4096} bytes dropped" in result["stdout"]

    async def test_leftover_background_jobs_die_with_the_command(
        self, client: Client, root_dir: Path
    ) -> None:
        """A command that leaves a background job returns promptly; the job is killed."""
        pid_file = root_dir / "job.pid"
        await run(client, command=f"sleep 300 > /dev/null 2>&1 & echo $! > {pid_file}")
        job = int(pid_file.read_text())
        assert is_gone(job)

    @pytest.mark.parametrize("command_form", ["shell", "argv"])
    async def test_every_rlimit_is_set_soft_and_hard(self, client: Client, app: App, command_form: str) -> None:
        """Address space, CPU time, file size and process count are limited, in both forms."""
        script = "for o in v t f u; do ulimit -S -$o; ulimit -H -$o; done"
        command = script if command_form == "shell" else ["bash", "-c", script]
        result = await run(client, command=command, timeout_s=7)
        values = result["stdout"].split()
        memory = str(app.services.settings.memory_limit_mb * 1024)
        assert values[0:2] == [memory, memory]
        assert values[2:4] == ["8", "8"]  # CPU seconds: the timeout plus one
        assert values[4:6] == [str(1024 * 1024)] * 2  # 1 GiB in bash's 1 KiB blocks
        assert values[6] == values[7] != "unlimited"


class TestEnvironment:
    async def test_server_secrets_never_reach_the_child(
        self, app_with: AppFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Tokens and OTLP headers of the server's environment are not inherited; the call's env is."""
        monkeypatch.setenv("MCP_SERVER_AUTH_TOKEN", "server-secret-token")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer otlp-secret")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
        with app_with() as (built, _telemetry):
            async with Client(built.mcp) as client:
                result = await run(client, command="env", env={"GREETING": "hello"})
        names = {line.split("=", 1)[0] for line in result["stdout"].splitlines()}
        assert "GREETING=hello" in result["stdout"]
        assert (
            "server-secret-token" not in result["stdout"] and "otlp-secret" not in result["stdout"]
        )
        assert "aws-secret" not in result["stdout"]
        assert names <= {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME", "TERM", "GREETING",
                         "PWD", "SHLVL", "_"}  # fmt: skip


class TestProgress:
    async def test_long_runs_stream_output_as_progress_notifications(self, client: Client) -> None:
        """Each notification carries output that arrived since the previous one, in order."""
        messages: list[str] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            messages.append(message or "")

        result = await client.call_tool_mcp(
            "execute_command",
            {"command": "for i in 1 2 3 4; do echo tick$i; sleep 0.35; done"},
            progress_handler=on_progress,
        )
        assert not result.is_error
        assert len(messages) >= 2
        assert "".join(messages) == "tick1\ntick2\ntick3\ntick4\n"[: len("".join(messages))]


class TestCache:
    async def test_cache_ttl_serves_an_identical_call_from_the_cache(
        self, client: Client, telemetry: Telemetry
    ) -> None:
        """The second identical call is cached (no new process); hits and misses are metrics."""
        arguments = {"command": "echo $RANDOM$RANDOM", "cache_ttl_s": 60}
        first = await run(client, **arguments)
        second = await run(client, **arguments)
        third = await run(client, command="echo $RANDOM$RANDOM")
        assert (first["cached"], second["cached"], third["cached"]) == (False, True, False)
        assert second["stdout"] == first["stdout"] != third["stdout"]
        assert (
            metric_value(telemetry, "mcp_cache_requests_total", cache="command", result="hit") == 1
        )
        assert (
            metric_value(telemetry, "mcp_cache_requests_total", cache="command", result="miss") == 1
        )


class TestTelemetry:
    async def test_each_process_is_a_child_span_of_the_tool_span(
        self, client: Client, spans: Any
    ) -> None:
        """process.spawn sits under mcp.tool.execute_command with the run's facts."""
        await run(client, command=["sh", "-c", "printf 12345; exit 4"])
        finished = spans.get_finished_spans()
        (tool,) = [s for s in finished if s.name == "mcp.tool.execute_command"]
        (process,) = [s for s in finished if s.name == "process.spawn"]
        assert process.parent.span_id == tool.context.span_id and process.kind is SpanKind.INTERNAL
        attributes = process.attributes
        assert attributes["process.executable.name"] == "sh"
        assert attributes["process.exit.code"] == 4
        assert (
            attributes["mcp.process.stdout_bytes"] == 5
            and attributes["mcp.process.output_bytes"] == 5
        )
        assert attributes["mcp.process.timed_out"] is False
        assert attributes["mcp.execution.strategy"] == "direct"
        spawned_for = attributes["mcp.process.duration_s"]  # a measured figure, not a threshold
        assert spawned_for > 0

    async def test_a_blocked_command_spawns_nothing(self, client: Client, spans: Any) -> None:
        """A refusal is blocked_command on the tool span and no process span exists."""
        result = await client.call_tool_mcp("execute_command", {"command": "echo ok; touch x"})
        assert result.structured_content["type"] == "blocked_command"
        assert "touch" in result.structured_content["error"]
        assert not [s for s in spans.get_finished_spans() if s.name == "process.spawn"]

    async def test_the_strategy_is_reported_by_system_info_and_health_check(
        self, client: Client
    ) -> None:
        """Both tools say which execution strategy is active."""
        info = (await client.call_tool_mcp("system_info", {})).structured_content["result"]
        health = (await client.call_tool_mcp("health_check", {})).structured_content["result"]
        assert info["execution_strategy"] == health["execution_strategy"] == "direct"


def test_the_test_process_is_not_left_with_children() -> None:
    """Sanity for this module: no child process of the test runner outlives the tests above."""
    assert all_gone(descendants(os.getpid()))
