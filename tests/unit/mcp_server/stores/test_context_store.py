"""The context store: namespaced JSON values with TTLs and bounds, durable in SQLite, thread-safe."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mcp_server.errors import InvalidArgumentsError, NotFoundError, ResourceLimitError
from mcp_server.stores.context_store import ContextStore


@pytest.fixture
def store(tmp_path: Path) -> ContextStore:
    created = ContextStore(tmp_path / "ctx.sqlite3", max_value_bytes=1024, max_keys=50)
    yield created
    created.close()


class TestValues:
    def test_a_value_round_trips_with_its_json_types(self, store: ContextStore) -> None:
        """Objects, lists, numbers, booleans and null come back as stored."""
        value = {"a": [1, 2.5, True, None], "b": {"c": "ü"}}
        store.set("ns", "k", value)
        assert store.get("ns", "k").value == value

    def test_namespaces_are_separate(self, store: ContextStore) -> None:
        """The same key in two namespaces holds two values."""
        store.set("one", "k", 1)
        store.set("two", "k", 2)
        assert (store.get("one", "k").value, store.get("two", "k").value) == (1, 2)
        assert store.namespaces() == {"one": 1, "two": 1}

    def test_overwrite_keeps_created_at_and_moves_updated_at(self, store: ContextStore) -> None:
        """A second set replaces the value, not the creation time."""
        first = store.set("ns", "k", 1)
        second = store.set("ns", "k", 2)
        assert second.created_at == first.created_at and second.updated_at >= first.updated_at

    def test_expired_keys_are_gone(self, store: ContextStore) -> None:
        """After its TTL a key is not_found, and it is not listed."""
        store.set("ns", "short", 1, ttl_s=0.05)
        time.sleep(0.1)
        with pytest.raises(NotFoundError):
            store.get("ns", "short")
        assert store.list("ns") == []

    def test_list_filters_by_prefix_literally(self, store: ContextStore) -> None:
        """`%` and `_` in a prefix are literal, not SQL wildcards."""
        for key in ("a_1", "ab", "a%c", "b"):
            store.set("ns", key, 0)
        assert [e.key for e in store.list("ns", prefix="a_")] == ["a_1"]
        assert [e.key for e in store.list("ns", prefix="a%")] == ["a%c"]

    def test_delete_removes_and_a_second_delete_is_not_found(self, store: ContextStore) -> None:
        """Deleting twice: the second is not_found."""
        store.set("ns", "k", 1)
        store.delete("ns", "k")
        with pytest.raises(NotFoundError):
            store.delete("ns", "k")


class TestBounds:
    def test_oversized_values_are_refused(self, store: ContextStore) -> None:
        """A value over max_value_bytes is resource_limit and nothing is stored."""
        with pytest.raises(ResourceLimitError):
            store.set("ns", "big", "x" * 2000)
        with pytest.raises(NotFoundError):
            store.get("ns", "big")

    def test_the_key_count_is_bounded(self, store: ContextStore) -> None:
        """The 51st key is refused; overwriting an existing key still works."""
        for i in range(50):
            store.set("ns", f"k{i}", i)
        with pytest.raises(ResourceLimitError):
            store.set("ns", "one-more", 0)
        store.set("ns", "k0", "replaced")

    @pytest.mark.parametrize(
        ("namespace", "key", "value", "ttl"),
        [
            ("bad ns", "k", 1, None),
            ("", "k", 1, None),
            ("ns", "", 1, None),
            ("ns", "k" * 300, 1, None),
            ("ns", "a\x00b", 1, None),
            ("ns", "k", float("nan"), None),
            ("ns", "k", {1, 2}, None),
            ("ns", "k", 1, -5),
            ("ns", "k", 1, 10**12),
        ],
    )
    def test_malformed_input_is_invalid_arguments(
        self, store: ContextStore, namespace: str, key: str, value: object, ttl: float | None
    ) -> None:
        """Bad names, non-JSON values and bad TTLs are invalid_arguments."""
        with pytest.raises(InvalidArgumentsError):
            store.set(namespace, key, value, ttl)


class TestDurability:
    def test_a_reopened_store_has_every_write(self, tmp_path: Path) -> None:
        """Closing and reopening (a restart) keeps every acknowledged value."""
        path = tmp_path / "ctx.sqlite3"
        first = ContextStore(path)
        for i in range(20):
            first.set("ns", f"k{i}", {"i": i})
        first.close()
        second = ContextStore(path)
        assert [second.get("ns", f"k{i}").value["i"] for i in range(20)] == list(range(20))
        second.close()

    def test_concurrent_writers_lose_nothing(self, store: ContextStore) -> None:
        """8 threads writing distinct keys: every key is present afterwards."""

        def write(worker: int) -> None:
            for i in range(5):
                store.set("ns", f"w{worker}-{i}", i)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.list("ns", limit=1000)) == 40
