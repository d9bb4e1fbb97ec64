"""Stream a running command's output to the client as MCP progress notifications.

Output is collected as it arrives and sent every `interval_s` (so a quick command sends
nothing); each notification carries what arrived since the previous one, capped so a command
printing gigabytes cannot flood the client: what did not fit is counted in the message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from mcp_server.execution.managed import complete_utf8
from mcp_server.execution.output import decode

Report = Callable[[float, str], Awaitable[None]]
_CHUNK_BYTES = 8192
_INTERVAL_S = 0.25


class ProgressStream:
    """Collects output chunks and sends them through `report(progress, message)`."""

    def __init__(
        self, report: Report, *, interval_s: float = _INTERVAL_S, chunk_bytes: int = _CHUNK_BYTES
    ) -> None:
        self._report = report
        self._interval_s = interval_s
        self._chunk_bytes = chunk_bytes
        self._pending = bytearray()
        self._skipped = 0
        self.total_bytes = 0
        self.sent = 0

    def add(self, _fd: int, data: bytes) -> None:
        """Take a chunk of output (from the child's protocol callback)."""
        self.total_bytes += len(data)
        room = max(0, self._chunk_bytes - len(self._pending))
        self._pending += data[:room]
        self._skipped += max(0, len(data) - room)

    async def flush(self) -> None:
        """Send what arrived since the last notification, if anything did."""
        if not self._pending and not self._skipped:
            return
        keep = complete_utf8(bytes(self._pending))
        message = decode(bytes(self._pending[:keep]))
        if self._skipped:
            message += f"\n[... {self._skipped} more bytes of output ...]"
        del self._pending[:keep]
        self._skipped = 0
        await self._report(float(self.total_bytes), message)
        self.sent += 1

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ProgressStream]:
        """Flush periodically while the block runs (a quick block schedules no task at all)."""
        tasks: list[asyncio.Task[None]] = []

        async def loop() -> None:
            while True:
                try:
                    await self.flush()
                # Progress is best effort: a client that cannot take it must not fail the command.
                except Exception:  # noqa: BLE001
                    return
                await asyncio.sleep(self._interval_s)

        timer = asyncio.get_running_loop().call_later(
            self._interval_s, lambda: tasks.append(asyncio.create_task(loop()))
        )
        try:
            yield self
        finally:
            # Not awaited: awaiting here could swallow a cancellation of the caller itself.
            timer.cancel()
            for task in tasks:
                task.cancel()
