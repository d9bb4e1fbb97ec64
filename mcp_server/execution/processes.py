"""The process manager: foreground runs and background processes this server started, and only those.

Every child runs through the configured strategy, counts against `MCP_SERVER_MAX_PROCESSES`
while it runs, gets a `process.spawn` span (child of the tool span), and is killed as a whole
tree when it times out, when its caller is cancelled (client gone), when its leader exits
(no leftovers), when `kill_process` asks, and when the server shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from opentelemetry.trace import Span, Tracer

from mcp_server.errors import (
    NotFoundError,
    ProcessNotFoundError,
    ResourceLimitError,
    TooManyProcessesError,
)
from mcp_server.execution.child import STDOUT, Child, read_until_closed, spawn
from mcp_server.execution.limits import PidsCgroups, ResourceLimits
from mcp_server.execution.managed import ManagedProcess
from mcp_server.execution.output import Captured, HeadTailBuffer
from mcp_server.execution.strategy import ExecutionStrategy, Launch

_DRAIN_S = 2.0  # after the leader is gone, how long stray pipe holders may keep output open
_MAX_PENDING_INPUT = 1_048_576
_SANDBOX_READY_S = 10.0
Listener = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished foreground command."""

    exit_code: int | None
    stdout: Captured
    stderr: Captured
    timed_out: bool
    duration_s: float

    @property
    def signal(self) -> str | None:
        """Name of the signal that ended the command, if one did."""
        if self.exit_code is None or self.exit_code >= 0:
            return None
        with contextlib.suppress(ValueError):
            return signal.Signals(-self.exit_code).name
        return None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """What to run and where; `program` names it in telemetry (the first command word)."""

    command: str | Sequence[str]
    cwd: Path
    program: str
    env: dict[str, str] | None = None
    writable: tuple[Path, ...] = ()  # server-owned scratch dirs, writable in the sandbox too


class ProcessManager:
    """Starts, tracks, reads, signals and finally kills the children of this server.

    Args:
        strategy: how children run.
        tracer: for the `process.spawn` spans.
        max_processes: running children allowed at once (foreground and background).
        max_output_bytes: kept per stream of a command, and per background ring buffer.
        memory_limit_mb: address-space limit of each child.
        cgroups: per-command pids cgroups, when available.
    """

    def __init__(
        self,
        strategy: ExecutionStrategy,
        tracer: Tracer,
        *,
        max_processes: int,
        max_output_bytes: int,
        memory_limit_mb: int,
        cgroups: PidsCgroups | None = None,
    ) -> None:
        self.strategy = strategy
        self._tracer = tracer
        self.max_processes = max_processes
        self.max_output_bytes = max_output_bytes
        self.memory_limit_mb = memory_limit_mb
        self.cgroups = cgroups
        self._running = 0
        self._foreground: set[Child] = set()
        self._processes: dict[str, ManagedProcess] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.listeners: list[Listener] = []

    # --- accounting ---------------------------------------------------------------------
    def count(self) -> int:
        """Children running now (the `mcp.processes.managed` gauge)."""
        return self._running

    def _acquire(self) -> None:
        if self._running >= self.max_processes:
            msg = (
                f"{self.max_processes} processes are already running (MCP_SERVER_MAX_PROCESSES); "
                "wait for one to finish or stop one with kill_process"
            )
            raise TooManyProcessesError(msg)
        self._running += 1

    def _release(self) -> None:
        self._running -= 1

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self._release()

    # --- spawning -----------------------------------------------------------------------
    def _launch(self, spec: CommandSpec, timeout_s: float | None) -> tuple[Launch, dict[str, str]]:
        """The launch description and the child's environment (checked: the program exists)."""
        limits = ResourceLimits.for_command(self.memory_limit_mb, timeout_s)
        launch = Launch(spec.command, spec.cwd, limits, spec.env or {}, writable=spec.writable)
        environment = self.strategy.environment(launch)
        if (
            not isinstance(spec.command, str)
            and shutil.which(spec.command[0], path=environment.get("PATH")) is None
        ):
            msg = f"command {spec.command[0][:200]!r} was not found on PATH or is not executable"
            raise NotFoundError(msg)
        if self.cgroups is not None:
            launch = replace(launch, cgroup=self.cgroups.create(limits.tasks))
        return launch, environment

    async def _spawn(
        self,
        launch: Launch,
        environment: dict[str, str],
        sink: Callable[[int, bytes], None],
        **options: Any,
    ) -> Child:
        try:
            return await spawn(
                self.strategy.argv(launch),
                cwd=launch.cwd,
                env=environment,
                sink=sink,
                cgroups=self.cgroups,
                cgroup=launch.cgroup,
                **options,
            )
        except OSError as exc:
            if self.cgroups is not None and launch.cgroup is not None:
                self.cgroups.remove(launch.cgroup)
            msg = f"the command could not be started: {exc.strerror or type(exc).__name__}"
            raise NotFoundError(msg) from exc

    @contextlib.contextmanager
    def _span(self, spec: CommandSpec, *, background: bool) -> Iterator[Span]:
        attributes = {
            "process.executable.name": spec.program,
            "mcp.execution.strategy": self.strategy.name,
            "mcp.process.background": background,
            "mcp.process.shell": isinstance(spec.command, str),
        }
        with self._tracer.start_as_current_span("process.spawn", attributes=attributes) as span:
            yield span

    # --- foreground ---------------------------------------------------------------------
    async def run(
        self,
        spec: CommandSpec,
        *,
        timeout_s: float,
        stdin: bytes | None = None,
        on_output: Callable[[int, bytes], None] | None = None,
    ) -> RunResult:
        """Run a command to completion (or timeout), keeping head and tail of each stream.

        Cancellation (the client cancelled or went away) kills the whole tree before the
        CancelledError propagates, so nothing is left behind.
        """
        stdout, stderr = (
            HeadTailBuffer(self.max_output_bytes),
            HeadTailBuffer(self.max_output_bytes),
        )

        def sink(fd: int, data: bytes) -> None:
            (stdout if fd == STDOUT else stderr).write(data)
            if on_output is not None:
                on_output(fd, data)

        with self._slot(), self._span(spec, background=False) as span:
            launch, environment = self._launch(spec, timeout_s)
            child = await self._spawn(launch, environment, sink, stdin=stdin is not None)
            span.set_attribute("process.pid", child.pid)
            self._foreground.add(child)
            try:
                timed_out = await self._wait(child, timeout_s, stdin)
            except BaseException:
                child.kill_tree()  # cancelled: the client is gone, so is the command
                raise
            finally:
                child.close()
                self._foreground.discard(child)
            result = RunResult(
                child.returncode,
                stdout.captured(),
                stderr.captured(),
                timed_out,
                time.monotonic() - child.started,
            )
            _record(span, result)
            return result

    @staticmethod
    async def _wait(child: Child, timeout_s: float, stdin: bytes | None) -> bool:
        if stdin is not None:
            child.write(stdin)
            child.close_stdin()
        timed_out = False
        try:
            async with asyncio.timeout(timeout_s):
                await child.wait_exit()
        except TimeoutError:
            timed_out = True
        # The leader is gone (or timed out): what it left running goes too, then the pipes drain.
        child.kill_tree()
        await child.wait_drained(_DRAIN_S)
        if child.running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.wait_exit(), _DRAIN_S)
        return timed_out

    # --- background ---------------------------------------------------------------------
    async def start(self, spec: CommandSpec) -> ManagedProcess:
        """Start a background process; its merged stdout+stderr goes to a ring buffer."""
        with self._span(spec, background=True) as span:
            self._acquire()  # released by _finished once a spawned process ends
            process = ManagedProcess(
                secrets.token_hex(6), spec, self.max_output_bytes, self._notify
            )
            try:
                await self._start_bound(*self._launch(spec, None), process)
            except BaseException:
                if process.child is None:  # nothing was spawned, so no _finished will release
                    self._release()
                raise
            span.set_attribute("process.pid", process.child.pid)
        self._processes[process.id] = process
        self._evict_finished()
        return process

    async def _start_bound(
        self, launch: Launch, environment: dict[str, str], process: ManagedProcess
    ) -> Child:
        """Spawn a background child; under the sandbox, return once bubblewrap is bound to us.

        bubblewrap arms `--die-with-parent` when it starts; waiting for its status report
        closes the window in which the server could die before a new sandbox is tied to it.
        """
        options: dict[str, Any] = {
            "stdin": True,
            "merge_stderr": True,
            "on_exit": lambda: self._exited(process),
        }
        if self.strategy.name != "sandbox":
            process.child = await self._spawn(launch, environment, process.receive, **options)
            return process.child
        status_read, status_write = os.pipe()
        try:
            bound = replace(launch, status_fd=status_write)
            process.child = await self._spawn(
                bound, environment, process.receive, pass_fds=(status_write,), **options
            )
        except BaseException:
            os.close(status_read)
            raise
        finally:
            os.close(status_write)
        try:
            await read_until_closed(status_read, _SANDBOX_READY_S)
        except BaseException:
            process.child.kill_tree()  # cancelled while starting: leave nothing behind
            raise
        return process.child

    def _exited(self, process: ManagedProcess) -> None:
        task = asyncio.get_running_loop().create_task(self._finished(process))
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def _finished(self, process: ManagedProcess) -> None:
        child = process.child
        child.kill_tree()
        await child.wait_drained(_DRAIN_S)
        child.close()
        self._release()
        process.finish(child.returncode)

    def _evict_finished(self) -> None:
        finished = [p for p in self._processes.values() if not p.running]
        for process in sorted(finished, key=lambda p: p.ended_at or 0)[
            : max(0, len(finished) - self.max_processes)
        ]:
            del self._processes[process.id]

    def _notify(self, process_id: str) -> None:
        for listener in list(self.listeners):
            listener(process_id)

    def find(self, process_id: str) -> ManagedProcess | None:
        """A process this server started, or None."""
        return self._processes.get(process_id)

    def get(self, process_id: str) -> ManagedProcess:
        """A process this server started (by id), or ProcessNotFoundError."""
        process = self._processes.get(process_id)
        if process is None:
            msg = f"no process with id {process_id[:64]!r} was started by this server (see list_processes)"
            raise ProcessNotFoundError(msg)
        return process

    def list(self) -> list[ManagedProcess]:
        """Tracked background processes, oldest first."""
        return sorted(self._processes.values(), key=lambda p: p.started_at)

    def send_input(self, process_id: str, data: bytes, *, close: bool = False) -> int:
        """Write to a running process's stdin; returns bytes still queued."""
        process = self.get(process_id)
        if not process.running:
            msg = f"process {process_id} has exited (exit code {process.exit_code}); it reads no more input"
            raise ProcessNotFoundError(msg)
        if process.child.write(data) > _MAX_PENDING_INPUT:
            msg = "the process is not reading its input; more than 1 MiB is already waiting"
            raise ResourceLimitError(msg)
        if close:
            process.child.close_stdin()
        return len(data)

    async def kill(self, process_id: str, signum: int, wait_s: float) -> ManagedProcess:
        """Signal the process group; SIGKILL the whole tree if it outlives `wait_s`."""
        process = self.get(process_id)
        if process.running:
            process.child.signal_group(signum)
            if not await process.wait_exit(wait_s):
                process.child.kill_tree()
                await process.wait_exit(_DRAIN_S)
        await process.wait_finished(_DRAIN_S)
        return process

    def close(self) -> None:
        """Kill every child of this server (shutdown); safe to call twice."""
        for child in list(self._foreground):
            child.kill_tree()
        for process in self._processes.values():
            if process.child is not None:
                process.child.kill_tree()
        if self.cgroups is not None:
            self.cgroups.close()


def _record(span: Span, result: RunResult) -> None:
    span.set_attribute("mcp.process.duration_s", round(result.duration_s, 6))
    span.set_attribute("mcp.process.stdout_bytes", result.stdout.total_bytes)
    span.set_attribute("mcp.process.stderr_bytes", result.stderr.total_bytes)
    span.set_attribute(
        "mcp.process.output_bytes", result.stdout.total_bytes + result.stderr.total_bytes
    )
    span.set_attribute("mcp.process.timed_out", result.timed_out)
    if result.exit_code is not None:
        span.set_attribute("process.exit.code", result.exit_code)
