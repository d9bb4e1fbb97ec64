"""The `commands` group: execute_command, the background process tools, and `process://{id}`."""

from __future__ import annotations

import json
import signal
from typing import Annotated, Any, Literal

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ResourceError
from pydantic import Field

from mcp_server.errors import BlockedCommandError
from mcp_server.execution.output import decode
from mcp_server.execution.processes import CommandSpec, RunResult
from mcp_server.execution.progress import ProgressStream
from mcp_server.security.commands import MAX_COMMAND_CHARS, PolicyDecision, check_program_text
from mcp_server.services import Services
from mcp_server.subscriptions import ResourceSubscriptions
from mcp_server.tool_registry import ToolRegistry
from mcp_server.tools.command_inputs import authorize, cache_key, resolve_cwd

GROUP = "commands"
_MAX_INPUT_BYTES = 1_048_576
_TAIL_BYTES = 4096
_SIGNALS = {
    "SIGTERM": signal.SIGTERM,
    "SIGINT": signal.SIGINT,
    "SIGHUP": signal.SIGHUP,
    "SIGKILL": signal.SIGKILL,
}

Argument = Annotated[str, Field(max_length=MAX_COMMAND_CHARS)]
Command = Annotated[
    Annotated[str, Field(min_length=1, max_length=MAX_COMMAND_CHARS)]
    | Annotated[list[Argument], Field(min_length=1, max_length=1024)],
    Field(
        description=(
            "Shell text run by bash (pipes, &&, redirection allowed), e.g. 'ls -la | head', "
            "or an argv list run without a shell, e.g. ['git', 'status']."
        )
    ),
]
Cwd = Annotated[
    str | None,
    Field(
        max_length=4096,
        description="Working directory inside the allowed roots (default: the first root).",
    ),
]
Env = Annotated[
    dict[Annotated[str, Field(max_length=256)], Annotated[str, Field(max_length=32_768)]] | None,
    Field(
        max_length=128,
        description="Variables added to the minimal environment (names like FOO_BAR).",
    ),
]
ProcessId = Annotated[
    str, Field(min_length=1, max_length=64, description="Id returned by start_process.")
]


def describe_run(result: RunResult, *, cached: bool, timeout_s: float) -> dict[str, Any]:
    """The execute_command result."""
    return {
        "exit_code": result.exit_code,
        "signal": result.signal,
        "stdout": result.stdout.text,
        "stderr": result.stderr.text,
        "stdout_bytes": result.stdout.total_bytes,
        "stderr_bytes": result.stderr.total_bytes,
        "stdout_dropped_bytes": result.stdout.dropped_bytes,
        "stderr_dropped_bytes": result.stderr.dropped_bytes,
        "truncated": result.stdout.truncated or result.stderr.truncated,
        "timed_out": result.timed_out,
        "timeout_s": timeout_s,
        "duration_s": round(result.duration_s, 6),
        "cached": cached,
    }


def register(registry: ToolRegistry, services: Services) -> None:
    """Add the command and process tools, and the subscribable process resource."""
    settings, manager = services.settings, services.processes
    assert manager is not None
    subscriptions = (
        ResourceSubscriptions(registry.mcp) if GROUP in registry.enabled_groups else None
    )
    if subscriptions is not None:
        manager.listeners.append(
            lambda process_id: subscriptions.changed(f"process://{process_id}")
        )

    async def execute_command(
        command: Command,
        ctx: Context,
        cwd: Cwd = None,
        timeout_s: Annotated[
            float | None,
            Field(gt=0, le=3600, description="Seconds before the whole process group is killed."),
        ] = None,
        env: Env = None,
        stdin: Annotated[
            str | None, Field(max_length=_MAX_INPUT_BYTES, description="Text fed to stdin.")
        ] = None,
        cache_ttl_s: Annotated[
            float,
            Field(
                ge=0,
                le=3600,
                description="Reuse an identical earlier result for this many seconds (0: off).",
            ),
        ] = 0,
    ) -> dict[str, Any]:
        """Run a command to completion and return its exit code and output.

        `command` is shell text (bash: pipes, &&, redirection) or an argv list (no shell). It runs
        in its own process group inside the allowed roots, with a minimal environment, resource
        limits (memory, CPU time, file size, process count) and, in sandbox mode, without network
        or access outside the roots. Each stream keeps its first and last MCP_SERVER_MAX_OUTPUT_BYTES/2
        bytes with a marker in between; *_bytes are exact totals. Long runs send progress
        notifications carrying new output. On timeout (default and maximum
        MCP_SERVER_COMMAND_TIMEOUT_S) the whole group is killed and the result has
        `timed_out: true` with the output so far - not an error. Errors: blocked_command (the command
        policy refuses it: the message says why), path_outside_roots (cwd), not_found (cwd or
        program missing), too_many_processes, invalid_arguments.
        """
        limit = settings.command_timeout_s
        effective_timeout = min(timeout_s or limit, limit)
        decision = await authorize(services, command, env, stdin=stdin)
        directory = resolve_cwd(services, cwd)  # a few stat calls: cheaper inline than a thread hop
        cache = services.command_cache if cache_ttl_s > 0 else None
        key = cache_key(command, directory, env, stdin)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            return {**hit, "cached": True}
        spec = CommandSpec(command, directory, _program(decision, command), env)
        stream = ProgressStream(lambda done, text: ctx.report_progress(done, None, text))
        async with stream.running():
            data = stdin.encode() if stdin is not None else None
            result = await manager.run(
                spec, timeout_s=effective_timeout, stdin=data, on_output=stream.add
            )
        answer = describe_run(result, cached=False, timeout_s=effective_timeout)
        if cache is not None and not result.timed_out:
            size = result.stdout.total_bytes + result.stderr.total_bytes
            cache.put(key, answer, cache_ttl_s, size=size)
        return answer

    async def start_process(command: Command, cwd: Cwd = None, env: Env = None) -> dict[str, Any]:
        """Start a long-running command in the background and return its `process_id` at once.

        Use read_process_output to follow its output (stdout and stderr merged), send_process_input
        to write to its stdin, kill_process to stop it; subscribe to the resource
        `process://{process_id}` to be notified as output arrives. It has the same policy, limits
        and sandbox as execute_command but no wall-clock timeout; at most MCP_SERVER_MAX_PROCESSES
        run at once, and all of them are killed when the server stops. Errors: blocked_command,
        path_outside_roots, not_found, too_many_processes, invalid_arguments.
        """
        decision = await authorize(services, command, env, interactive=True)
        directory = resolve_cwd(services, cwd)
        process = await manager.start(
            CommandSpec(command, directory, _program(decision, command), env)
        )
        process.stdin_is_code = decision.stdin_is_code
        return {**process.describe(), "resource": f"process://{process.id}"}

    async def read_process_output(
        process_id: ProcessId,
        offset: Annotated[
            int, Field(ge=0, description="Byte offset to read from: 0, then the last next_offset.")
        ] = 0,
        max_bytes: Annotated[
            int, Field(ge=1, le=65_536, description="Most bytes to return (at most 64 KiB).")
        ] = 65_536,
        wait_s: Annotated[
            float,
            Field(
                ge=0, le=30, description="If nothing new is there yet, wait this long for output."
            ),
        ] = 0,
    ) -> dict[str, Any]:
        """Read a background process's output from a byte offset.

        Pass the returned `next_offset` as the next `offset`: no byte is lost or repeated, also
        when a read ends mid-line. The server keeps the newest MCP_SERVER_MAX_OUTPUT_BYTES per
        process; `dropped_bytes` > 0 means older output was overwritten before you read it.
        `eof` is true once the process has ended and everything was read. Errors:
        process_not_found, invalid_arguments.
        """
        process = manager.get(process_id)
        chunk = await process.read(offset, max_bytes, wait_s)
        return {
            **process.describe(),
            "output": decode(chunk.data),
            "offset": chunk.offset,
            "next_offset": chunk.next_offset,
            "dropped_bytes": chunk.dropped_bytes,
            "eof": not process.running and chunk.next_offset >= process.ring.end,
        }

    async def send_process_input(
        process_id: ProcessId,
        input: Annotated[
            str,
            Field(
                max_length=_MAX_INPUT_BYTES, description="Text to write (add '\\n' to end a line)."
            ),
        ],
        close_stdin: Annotated[
            bool, Field(description="Close stdin after writing (end of input).")
        ] = False,
    ) -> dict[str, Any]:
        """Write text to the stdin of a running background process started by start_process.

        Input to an interpreter (python, node...) passes the command policy's scan for blocked
        programs. Errors: process_not_found (unknown id or already exited), blocked_command,
        resource_limit (the process is not reading and 1 MiB is already queued), invalid_arguments.
        """
        process = manager.get(process_id)
        if process.stdin_is_code:
            decision = check_program_text(input, services.command_policy)
            if not decision.allowed:
                raise BlockedCommandError(f"input refused by the command policy: {decision.reason}")
        written = manager.send_input(process_id, input.encode(), close=close_stdin)
        return {"process_id": process_id, "bytes_written": written, "stdin_closed": close_stdin}

    async def list_processes() -> dict[str, Any]:
        """List the background processes this server started (running and recently ended),
        with status, exit code and output size, plus how many process slots are in use.
        Errors: none expected.
        """
        return {
            "processes": [process.describe() for process in manager.list()],
            "running": manager.count(),
            "max_processes": manager.max_processes,
        }

    async def kill_process(
        process_id: ProcessId,
        signal_name: Annotated[
            Literal["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"],
            Field(description="Signal for the process group."),
        ] = "SIGTERM",
        wait_s: Annotated[
            float, Field(ge=0, le=30, description="Grace time before SIGKILL of the whole tree.")
        ] = 2.0,
    ) -> dict[str, Any]:
        """Stop a background process started by this server: signal its whole process group, and
        SIGKILL everything left after `wait_s`. Only processes started by this server can be
        targeted (by process_id, never by pid). Errors: process_not_found, invalid_arguments.
        """
        process = await manager.kill(process_id, _SIGNALS[signal_name], wait_s)
        return process.describe()

    registry.add(execute_command, group=GROUP, read_only=False, destructive=True, open_world=True)
    registry.add(start_process, group=GROUP, read_only=False, destructive=True, open_world=True)
    registry.add(read_process_output, group=GROUP, read_only=True)
    registry.add(send_process_input, group=GROUP, read_only=False, destructive=True)
    registry.add(list_processes, group=GROUP, read_only=True)
    registry.add(kill_process, group=GROUP, read_only=False, destructive=True, idempotent=True)
    if subscriptions is not None:
        _add_process_resource(registry.mcp, services)


def _program(decision: PolicyDecision, command: str | list[str]) -> str:
    """The name telemetry uses for a command: the first program the policy saw (or argv[0])."""
    if decision.programs:
        return decision.programs[0][:64]
    text = command if isinstance(command, str) else command[0]
    return (text.split() or ["sh"])[0].rsplit("/", 1)[-1][:64]


def _add_process_resource(mcp: FastMCP, services: Services) -> None:
    @mcp.resource("process://{process_id}", name="process", mime_type="application/json")
    async def process_resource(process_id: str) -> str:
        """Status and the newest output of a background process (subscribe for updates)."""
        manager = services.processes
        assert manager is not None
        process = manager.find(process_id)
        if process is None:
            msg = f"no process {process_id[:64]!r} was started by this server"
            raise ResourceError(msg)
        return json.dumps({**process.describe(), "output_tail": process.tail_text(_TAIL_BYTES)})
