"""TTLCache: hits and misses are counted, entries expire and are bounded."""

from __future__ import annotations

from mcp_server.caching import TTLCache


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestTTLCache:
    def test_hits_and_misses_are_recorded(self) -> None:
        """A miss, then a hit, each reported once with the cache name."""
        seen: list[tuple[str, str]] = []
        cache: TTLCache[int] = TTLCache("system_info", lambda *a: seen.append(a))
        assert cache.get("k") is None
        cache.put("k", 1, ttl_s=10)
        assert cache.get("k") == 1
        assert seen == [("system_info", "miss"), ("system_info", "hit")]

    def test_entries_expire(self) -> None:
        """After the TTL the entry is a miss."""
        clock = _Clock()
        cache: TTLCache[int] = TTLCache("c", lambda *a: None, clock=clock)
        cache.put("k", 1, ttl_s=5)
        clock.now += 6
        assert cache.get("k") is None
        assert len(cache) == 0

    def test_entry_count_and_bytes_are_bounded_lru(self) -> None:
        """Least recently used entries go first when a bound is crossed."""
        cache: TTLCache[int] = TTLCache("c", lambda *a: None, max_entries=2, max_bytes=100)
        cache.put("a", 1, 10, size=10)
        cache.put("b", 2, 10, size=10)
        cache.get("a")
        cache.put("c", 3, 10, size=10)
        assert cache.get("b") is None and cache.get("a") == 1
        cache.put("huge", 4, 10, size=1000)
        assert cache.get("huge") is None

    def test_invalidate_by_predicate(self) -> None:
        """invalidate drops matching keys and says how many."""
        cache: TTLCache[int] = TTLCache("c", lambda *a: None)
        for key in ("x1", "x2", "y"):
            cache.put(key, 0, 10)
        assert cache.invalidate(lambda key: str(key).startswith("x")) == 2
        assert cache.get("y") == 0
