"""The shared context store: namespaced JSON values with TTLs, persisted in SQLite.

WAL journal with `synchronous=NORMAL`: a committed write survives the server being killed
(`kill -9`), which is what "acknowledged" means here; only an OS crash could lose the last
transactions. One connection behind a lock: SQLite serialises writers anyway, and callers
reach the store from worker threads.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_server.errors import InvalidArgumentsError, NotFoundError, ResourceLimitError

NAMESPACE_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_KEY_CHARS = 256
MAX_TTL_S = 366 * 24 * 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS context (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    expires_at REAL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS context_expiry ON context (expires_at) WHERE expires_at IS NOT NULL;
"""


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """One stored value and its metadata."""

    namespace: str
    key: str
    value: Any
    size_bytes: int
    created_at: float
    updated_at: float
    expires_at: float | None

    def describe(self, with_value: bool = True) -> dict[str, Any]:
        """JSON-ready form for tool results."""
        data: dict[str, Any] = {
            "namespace": self.namespace,
            "key": self.key,
            "size_bytes": self.size_bytes,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "expires_at": self.expires_at,
        }
        if with_value:
            data["value"] = self.value
        return data


def validate_namespace(namespace: str) -> str:
    """Return the namespace or raise `InvalidArgumentsError` (letters, digits, `_.:-`, ≤ 64)."""
    if not NAMESPACE_PATTERN.match(namespace):
        msg = "namespace must be 1-64 characters of letters, digits, '_', '.', ':' or '-'"
        raise InvalidArgumentsError(msg)
    return namespace


def validate_key(key: str) -> str:
    """Return the key or raise `InvalidArgumentsError` (1-256 characters, no NUL or control chars)."""
    if not key or len(key) > MAX_KEY_CHARS or any(ord(ch) < 32 for ch in key):
        msg = f"key must be 1-{MAX_KEY_CHARS} printable characters"
        raise InvalidArgumentsError(msg)
    return key


class ContextStore:
    """Thread-safe SQLite-backed key-value store of JSON values.

    Args:
        path: the database file (its directory is created).
        max_value_bytes: largest encoded JSON value.
        max_keys: most live keys across namespaces.
    """

    def __init__(self, path: Path, max_value_bytes: int = 65_536, max_keys: int = 10_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._max_value_bytes = max_value_bytes
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def set(self, namespace: str, key: str, value: Any, ttl_s: float | None = None) -> ContextEntry:
        """Store `value` (any JSON) under `namespace`/`key`, replacing what was there.

        Raises:
            InvalidArgumentsError: bad namespace, key, TTL, or a value that is not JSON.
            ResourceLimitError: the value is too large or the store is full.
        """
        validate_namespace(namespace)
        validate_key(key)
        if ttl_s is not None and not (0 < ttl_s <= MAX_TTL_S):
            msg = f"ttl_s must be between 0 and {int(MAX_TTL_S)} seconds"
            raise InvalidArgumentsError(msg)
        try:
            encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            msg = f"value is not JSON-serialisable: {exc}"
            raise InvalidArgumentsError(msg) from exc
        size = len(encoded.encode())
        if size > self._max_value_bytes:
            msg = f"value is {size} bytes; the limit is {self._max_value_bytes}"
            raise ResourceLimitError(msg)
        now = time.time()
        expires_at = now + ttl_s if ttl_s is not None else None
        with self._lock:
            self._purge_expired(now)
            exists = self._db.execute(
                "SELECT created_at FROM context WHERE namespace=? AND key=?", (namespace, key)
            ).fetchone()
            if exists is None and self._count() >= self._max_keys:
                msg = f"the context store holds {self._max_keys} keys; delete some first"
                raise ResourceLimitError(msg)
            created_at = exists[0] if exists else now
            self._db.execute(
                "INSERT OR REPLACE INTO context VALUES (?, ?, ?, ?, ?, ?, ?)",
                (namespace, key, encoded, size, created_at, now, expires_at),
            )
        return ContextEntry(namespace, key, value, size, created_at, now, expires_at)

    def get(self, namespace: str, key: str) -> ContextEntry:
        """The live entry, or `NotFoundError` (expired entries are gone)."""
        validate_namespace(namespace)
        validate_key(key)
        with self._lock:
            row = self._db.execute(
                "SELECT value, size_bytes, created_at, updated_at, expires_at FROM context "
                "WHERE namespace=? AND key=? AND (expires_at IS NULL OR expires_at > ?)",
                (namespace, key, time.time()),
            ).fetchone()
        if row is None:
            msg = f"no key {key!r} in namespace {namespace!r}"
            raise NotFoundError(msg)
        return ContextEntry(namespace, key, json.loads(row[0]), row[1], row[2], row[3], row[4])

    def list(self, namespace: str | None = None, prefix: str = "", limit: int = 100) -> list[ContextEntry]:
        """Live entries (without values), ordered by namespace and key."""
        if namespace is not None:
            validate_namespace(namespace)
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            "SELECT namespace, key, size_bytes, created_at, updated_at, expires_at FROM context "
            "WHERE (expires_at IS NULL OR expires_at > ?) AND key LIKE ? ESCAPE '\\'"
        )
        params: list[Any] = [time.time(), escaped + "%"]
        if namespace is not None:
            query += " AND namespace=?"
            params.append(namespace)
        query += " ORDER BY namespace, key LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [ContextEntry(r[0], r[1], None, r[2], r[3], r[4], r[5]) for r in rows]

    def namespaces(self) -> dict[str, int]:
        """Live key count per namespace."""
        with self._lock:
            rows = self._db.execute(
                "SELECT namespace, COUNT(*) FROM context WHERE expires_at IS NULL OR expires_at > ? "
                "GROUP BY namespace ORDER BY namespace",
                (time.time(),),
            ).fetchall()
        return dict(rows)

    def delete(self, namespace: str, key: str) -> None:
        """Remove a key, or `NotFoundError` if there is no live one."""
        validate_namespace(namespace)
        validate_key(key)
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM context WHERE namespace=? AND key=? AND (expires_at IS NULL OR expires_at > ?)",
                (namespace, key, time.time()),
            )
        if cursor.rowcount == 0:
            msg = f"no key {key!r} in namespace {namespace!r}"
            raise NotFoundError(msg)

    def is_writable(self) -> bool:
        """Whether a write transaction can start (for readiness checks)."""
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        """Close the database (a checkpoint folds the WAL back into the file)."""
        with self._lock:
            self._db.close()

    def _count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM context").fetchone()[0])

    def _purge_expired(self, now: float) -> None:
        self._db.execute("DELETE FROM context WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
