"""A small thread-safe TTL + LRU cache whose hits and misses are metrics (`mcp.cache.requests`).

Written here rather than taken from `cachetools` because every lookup must count a hit or a
miss on our instrument, entries need per-entry TTLs and a byte budget, and it is 60 lines.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")
_MISSING: Any = object()


class TTLCache(Generic[V]):
    """Bounded by entry count and total size; entries expire after their TTL.

    Args:
        name: the `cache` attribute of `mcp.cache.requests` (a closed set: `system_info`,
            `command`, `file`).
        record: called with `(name, "hit" | "miss")` on every lookup.
        max_entries: least recently used entries are evicted beyond this.
        max_bytes: total of the sizes given to `put`; LRU eviction beyond it.
        clock: monotonic clock (tests may pass their own).
    """

    def __init__(
        self,
        name: str,
        record: Callable[[str, str], None],
        max_entries: int = 256,
        max_bytes: int = 64 * 1_048_576,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._record = record
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, int, V]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The live value for `key` (counted as a hit), or None (counted as a miss)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key, _MISSING)
            if entry is not _MISSING and entry[0] > now:
                self._entries.move_to_end(key)
                value: V | None = entry[2]
            else:
                if entry is not _MISSING:
                    self._drop(key)
                value = None
        self._record(self.name, "miss" if value is None else "hit")
        return value

    def put(self, key: Hashable, value: V, ttl_s: float, size: int = 0) -> None:
        """Store `value` for `ttl_s` seconds; values larger than the byte budget are not kept."""
        if ttl_s <= 0 or size > self._max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (self._clock() + ttl_s, size, value)
            self._bytes += size
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                self._drop(next(iter(self._entries)))

    def invalidate(self, predicate: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key matches; returns how many were dropped."""
        with self._lock:
            doomed = [key for key in self._entries if predicate(key)]
            for key in doomed:
                self._drop(key)
        return len(doomed)

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        _expires, size, _value = self._entries.pop(key)
        self._bytes -= size
