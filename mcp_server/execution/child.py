"""One running child: spawned through asyncio's subprocess protocol, killed as a whole tree.

The protocol hands every chunk to a sink as it arrives (no StreamReader buffering, no read
loop tasks), so the caller decides what to keep and memory stays bounded. Killing sends
SIGKILL to the child's process group, to every task in its pids cgroup, and to the
descendants seen just before, so neither a fork bomb nor a `setsid` child survives.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from mcp_server.execution.limits import PidsCgroups

Sink = Callable[[int, bytes], None]
STDOUT, STDERR = 1, 2


class _ChildProtocol(asyncio.SubprocessProtocol):
    def __init__(self, sink: Sink, on_exit: Callable[[], None] | None) -> None:
        self.sink = sink
        self.on_exit = on_exit
        self.exited = asyncio.Event()
        self.drained = asyncio.Event()
        self.open_pipes: set[int] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.SubprocessTransport)
        self.open_pipes = {
            fd for fd in (STDOUT, STDERR) if transport.get_pipe_transport(fd) is not None
        }
        if not self.open_pipes:
            self.drained.set()

    def pipe_data_received(self, fd: int, data: bytes | bytearray) -> None:
        self.sink(fd, bytes(data))

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.open_pipes.discard(fd)
        if not self.open_pipes:
            self.drained.set()

    def process_exited(self) -> None:
        self.exited.set()
        if self.on_exit is not None:
            self.on_exit()


class Child:
    """A spawned child and its process tree."""

    def __init__(
        self,
        transport: asyncio.SubprocessTransport,
        protocol: _ChildProtocol,
        cgroups: PidsCgroups | None,
        cgroup: Path | None,
    ) -> None:
        self._transport = transport
        self._protocol = protocol
        self._cgroups = cgroups
        self._cgroup = cgroup
        self.pid: int = transport.get_pid()
        self.started = time.monotonic()

    @property
    def returncode(self) -> int | None:
        """Exit status of the leader (negative: killed by that signal), None while running."""
        return self._transport.get_returncode()

    @property
    def running(self) -> bool:
        """Whether the leader has not exited yet."""
        return not self._protocol.exited.is_set()

    async def wait_exit(self) -> int | None:
        """Wait for the leader to exit."""
        await self._protocol.exited.wait()
        return self.returncode

    async def wait_drained(self, timeout_s: float) -> bool:
        """Wait until stdout and stderr reached EOF; False if something still holds them."""
        if self._protocol.drained.is_set():
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._protocol.drained.wait()
        return self._protocol.drained.is_set()

    def write(self, data: bytes) -> int:
        """Queue `data` for the child's stdin; returns bytes still waiting to be written."""
        pipe = self._transport.get_pipe_transport(0)
        if pipe is None or pipe.is_closing():
            return -1
        assert isinstance(pipe, asyncio.WriteTransport)
        pipe.write(data)
        return pipe.get_write_buffer_size()

    def close_stdin(self) -> None:
        """Send EOF on stdin."""
        pipe = self._transport.get_pipe_transport(0)
        if pipe is not None and not pipe.is_closing():
            assert isinstance(pipe, asyncio.WriteTransport)
            with contextlib.suppress(OSError):
                pipe.write_eof()

    def signal_group(self, signum: int) -> None:
        """Send `signum` to the child's whole process group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def kill_tree(self) -> None:
        """SIGKILL the group, the cgroup and every descendant; never raises."""
        try:
            descendants = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            descendants = []
        self.signal_group(signal.SIGKILL)
        if self._cgroups is not None and self._cgroup is not None:
            self._cgroups.kill(self._cgroup)
        for process in descendants:
            with contextlib.suppress(psutil.Error):
                process.kill()

    def close(self) -> None:
        """Release the transport and the cgroup (after the tree is gone)."""
        self._transport.close()
        if self._cgroups is not None and self._cgroup is not None:
            self._cgroups.kill(self._cgroup)
            self._cgroups.remove(self._cgroup)


async def spawn(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    sink: Sink,
    stdin: bool,
    merge_stderr: bool = False,
    cgroups: PidsCgroups | None = None,
    cgroup: Path | None = None,
    on_exit: Callable[[], None] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> Child:
    """Start `argv` in a new session (its own process group) with piped output.

    Args:
        argv: the full argv (launcher included).
        cwd: working directory.
        env: the complete environment.
        sink: called with `(fd, data)` for every chunk (fd 1 or 2).
        stdin: a pipe for stdin when true, else /dev/null.
        merge_stderr: send stderr into the stdout pipe (background processes).
        cgroups: the cgroup manager, when the child has a pids cgroup.
        cgroup: that cgroup.
        on_exit: called when the leader exits.
        pass_fds: extra descriptors the child inherits (bubblewrap's status fd).
    """
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        lambda: _ChildProtocol(sink, on_exit),
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if merge_stderr else asyncio.subprocess.PIPE,
        cwd=str(cwd),
        env=env,
        start_new_session=True,
        pass_fds=pass_fds,
    )
    return Child(transport, protocol, cgroups, cgroup)


async def read_until_closed(fd: int, timeout_s: float) -> bytes:
    """Read a pipe until its writer closes it (or `timeout_s` passes); closes `fd`."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        async with asyncio.timeout(timeout_s):
            return await reader.read()
    except TimeoutError:
        return b""
    finally:
        transport.close()
