"""Bounded output buffers: head + tail for finished commands, a ring with byte offsets for live ones.

Both keep exact byte counts whatever a command prints, and hold at most their capacity (plus
one chunk while trimming), so memory stays bounded for a command printing gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Captured:
    """A stream as kept: the text shown, and exact byte counts."""

    text: str
    total_bytes: int
    dropped_bytes: int

    @property
    def truncated(self) -> bool:
        """Whether bytes were dropped from the middle."""
        return self.dropped_bytes > 0


# C0 controls but tab, newline and carriage return: JSON escapes each as `\u00XX` (6 bytes),
# which would let binary output blow a result past what MCP clients accept.
_CONTROLS = {code: "\ufffd" for code in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}


def decode(data: bytes) -> str:
    """Bytes of a child as text: UTF-8, undecodable bytes and control characters as U+FFFD."""
    return data.decode("utf-8", errors="replace").translate(_CONTROLS)


class HeadTailBuffer:
    """Keeps the first `head` and the last `tail` bytes of a stream, and counts all of them.

    Args:
        capacity: bytes kept in total; half for the head, half for the tail.
    """

    def __init__(self, capacity: int) -> None:
        self._head_limit = capacity // 2
        self._tail_limit = capacity - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self.total_bytes = 0

    def write(self, data: bytes) -> None:
        """Account for `data`; keep what fits in the head, then the newest bytes in the tail."""
        self.total_bytes += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data:
            return
        if len(data) >= self._tail_limit:
            self._tail = bytearray(data[-self._tail_limit :])
            return
        self._tail += data
        # Trim in amortised steps: deleting from the front of a bytearray copies the rest.
        if len(self._tail) > 2 * self._tail_limit:
            del self._tail[: len(self._tail) - self._tail_limit]

    def captured(self) -> Captured:
        """The kept text with a marker where bytes were dropped."""
        tail = bytes(self._tail[-self._tail_limit :]) if self._tail_limit else b""
        dropped = self.total_bytes - len(self._head) - len(tail)
        if dropped <= 0:
            return Captured(decode(bytes(self._head) + tail), self.total_bytes, 0)
        marker = f"\n[... {dropped} bytes dropped; {self.total_bytes} bytes in total ...]\n"
        return Captured(
            decode(bytes(self._head)) + marker + decode(tail), self.total_bytes, dropped
        )


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes read from a ring at an absolute offset."""

    data: bytes
    offset: int  # where `data` starts in the stream
    next_offset: int  # where the next read should start
    dropped_bytes: int  # bytes between the requested offset and `offset` that were overwritten


class RingBuffer:
    """The newest `capacity` bytes of a stream, addressed by absolute byte offsets.

    Offsets count every byte ever written, so a reader that passes back `next_offset` sees
    each byte exactly once (also when a read ends mid-line or mid-character); a reader that
    falls more than `capacity` behind is told how many bytes it lost.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._data = bytearray()
        self._start = 0  # absolute offset of self._data[0]

    @property
    def end(self) -> int:
        """Total bytes written so far (the offset after the newest byte)."""
        return self._start + len(self._data)

    def write(self, data: bytes) -> None:
        """Append `data`, forgetting the oldest bytes beyond the capacity."""
        self._data += data
        excess = len(self._data) - self.capacity
        # Trim in amortised steps (at most one extra capacity held), as in HeadTailBuffer.
        if excess > self.capacity or (excess > 0 and len(data) >= self.capacity):
            del self._data[:excess]
            self._start += excess

    def read(self, offset: int, max_bytes: int) -> Chunk:
        """Up to `max_bytes` from `offset` (clamped to what is still held)."""
        oldest = max(self._start, self.end - self.capacity)
        begin = min(max(offset, oldest), self.end)
        dropped = max(0, begin - offset)
        relative = begin - self._start
        data = bytes(self._data[relative : relative + max(0, max_bytes)])
        return Chunk(data=data, offset=begin, next_offset=begin + len(data), dropped_bytes=dropped)

    def tail(self, max_bytes: int) -> Chunk:
        """The newest `max_bytes` bytes."""
        return self.read(max(0, self.end - max_bytes), max_bytes)
