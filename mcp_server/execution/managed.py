"""A background process as the tools see it: status, exit code, and a ring buffer of its output."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcp_server.execution.output import Chunk, RingBuffer, decode

if TYPE_CHECKING:
    from mcp_server.execution.child import Child
    from mcp_server.execution.processes import CommandSpec

_COMMAND_SHOWN_CHARS = 200


def complete_utf8(data: bytes) -> int:
    """Length of the longest prefix of `data` that does not end inside a UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # lead byte: how long is its character?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= needed else len(data) - back
    return len(data)


class ManagedProcess:
    """One background process started by `start_process`."""

    def __init__(
        self, process_id: str, spec: CommandSpec, capacity: int, notify: Callable[[str], None]
    ) -> None:
        self.id = process_id
        command = spec.command if isinstance(spec.command, str) else " ".join(spec.command)
        self.command = (
            command
            if len(command) <= _COMMAND_SHOWN_CHARS
            else command[:_COMMAND_SHOWN_CHARS] + "..."
        )
        self.program = spec.program
        self.cwd = str(spec.cwd)
        self.ring = RingBuffer(capacity)
        self.started_at = time.time()
        self.ended_at: float | None = None
        self.exit_code: int | None = None
        self.child: Child = None  # type: ignore[assignment]  # set right after spawning
        self.stdin_is_code = False  # its stdin feeds an interpreter: input is policy-scanned
        self._notify = notify
        self._waiters: list[asyncio.Future[None]] = []
        self._finished = asyncio.Event()

    @property
    def running(self) -> bool:
        """Whether the process has not finished."""
        return not self._finished.is_set()

    @property
    def status(self) -> str:
        """`running`, `exited` (exit code >= 0) or `killed` (ended by a signal)."""
        if self.running:
            return "running"
        return "killed" if (self.exit_code or 0) < 0 else "exited"

    def receive(self, _fd: int, data: bytes) -> None:
        """Output arrived: keep it and wake readers and subscribers."""
        self.ring.write(data)
        self._wake()

    def finish(self, exit_code: int | None) -> None:
        """The process and its tree are gone."""
        self.exit_code = exit_code
        self.ended_at = time.time()
        self._finished.set()
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
        self._notify(self.id)

    async def wait_change(self, timeout_s: float) -> None:
        """Wait until new output arrives or the process ends (at most `timeout_s`)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, timeout_s)

    async def wait_exit(self, timeout_s: float) -> bool:
        """Wait for the leader to exit; False on timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.child.wait_exit(), timeout_s)
        return not self.child.running

    async def wait_finished(self, timeout_s: float) -> bool:
        """Wait until the tree is gone and the status is final."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), timeout_s)
        return not self.running

    async def read(self, offset: int, max_bytes: int, wait_s: float) -> Chunk:
        """Output from `offset`; waits up to `wait_s` for some if there is none yet.

        A chunk never ends inside a UTF-8 character, so decoding each chunk and joining them
        gives back the exact text; when the first character is wider than `max_bytes`, it is
        returned whole (up to 3 bytes more than asked).
        """
        chunk = self.ring.read(offset, max_bytes)
        if not chunk.data and self.running and wait_s > 0:
            await self.wait_change(wait_s)
            chunk = self.ring.read(offset, max_bytes)
        return self._whole_characters(chunk)

    def _whole_characters(self, chunk: Chunk) -> Chunk:
        data = chunk.data
        keep = complete_utf8(data)
        if keep == len(data):
            return chunk
        if keep == 0:
            # The first character alone is longer than the read: take all of it if it is there.
            wider = self.ring.read(chunk.offset, len(data) + 3)
            keep = complete_utf8(wider.data[: len(data) + 3])
            if keep == 0 and not self.running:
                return chunk  # an incomplete character at the very end of the output
            keep = min(keep or 0, len(wider.data))
            return Chunk(wider.data[:keep], chunk.offset, chunk.offset + keep, chunk.dropped_bytes)
        return Chunk(data[:keep], chunk.offset, chunk.offset + keep, chunk.dropped_bytes)

    def describe(self) -> dict[str, Any]:
        """Status fields shared by the tools and the `process://` resource."""
        signal_name = None
        if self.exit_code is not None and self.exit_code < 0:
            with contextlib.suppress(ValueError):
                signal_name = signal.Signals(-self.exit_code).name
        return {
            "process_id": self.id,
            "command": self.command,
            "program": self.program,
            "cwd": self.cwd,
            "pid": self.child.pid if self.child is not None else None,
            "status": self.status,
            "exit_code": self.exit_code,
            "signal": signal_name,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "output_bytes": self.ring.end,
        }

    def tail_text(self, max_bytes: int) -> str:
        """The newest output as text (for the resource)."""
        return decode(self.ring.tail(max_bytes).data)
