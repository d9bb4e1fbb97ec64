"""The `utility` group: system_info, calculate and the context_* store."""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from typing import Annotated, Any

import anyio
import psutil
from pydantic import Field, JsonValue

from mcp_server import __version__
from mcp_server.calculator import evaluate
from mcp_server.services import Services
from mcp_server.stores.context_store import MAX_KEY_CHARS, MAX_TTL_S
from mcp_server.tool_registry import ToolRegistry

GROUP = "utility"
_JSON_SAFE_INT = 2**53

Namespace = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="Namespace (default 'default').")
]
Key = Annotated[str, Field(min_length=1, max_length=MAX_KEY_CHARS, description="Key within the namespace.")]


def collect_system_info(services: Services) -> dict[str, Any]:
    """Gather host, OS, CPU, memory, disk (per allowed root) and server facts (blocking)."""
    memory = psutil.virtual_memory()
    disks = {}
    for root in services.settings.allowed_roots:
        usage = psutil.disk_usage(str(root))
        disks[str(root)] = {"total_bytes": usage.total, "free_bytes": usage.free, "percent_used": usage.percent}
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "hostname": socket.gethostname(),
        "os": platform.system(),
        "os_release": platform.release(),
        "architecture": platform.machine(),
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "cpu_count_logical": psutil.cpu_count(logical=True),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "memory_total_bytes": memory.total,
        "memory_available_bytes": memory.available,
        "load_average": list(load) if load else None,
        "boot_time_unix": psutil.boot_time(),
        "disks": disks,
        "server_version": __version__,
        "server_pid": os.getpid(),
        "execution_strategy": services.execution,
        "collected_at_unix": time.time(),
    }


def describe_number(value: int | float | complex) -> dict[str, Any]:
    """A JSON-safe view of a calculation result: `value` when exact in JSON, `text` always."""
    text = repr(value) if not isinstance(value, int) else str(value)
    if isinstance(value, complex):
        return {"value": None, "text": text, "type": "complex", "real": value.real, "imag": value.imag}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return {"value": None, "text": text, "type": "float"}
    if isinstance(value, int) and abs(value) >= _JSON_SAFE_INT:
        return {"value": None, "text": text, "type": "int", "digits": len(text.lstrip("-"))}
    return {"value": value, "text": text, "type": type(value).__name__}


def register(registry: ToolRegistry, services: Services) -> None:
    """Add the utility tools."""

    async def system_info(
        refresh: Annotated[bool, Field(description="Bypass the cache and collect fresh values.")] = False,
    ) -> dict[str, Any]:
        """Describe the machine and this server: OS, CPU, memory, disk of each allowed root, load,
        server version and the command execution strategy (direct or sandbox).

        Results are cached for MCP_SERVER_SYSTEM_INFO_TTL_S seconds; `cached` says whether this
        answer came from the cache. Errors: none expected (internal_error on a failing probe).
        """
        cache = services.system_info_cache
        info = None if refresh else cache.get("system_info")
        if info is not None:
            return {**info, "cached": True}
        info = await anyio.to_thread.run_sync(collect_system_info, services)
        cache.put("system_info", info, services.settings.system_info_ttl_s)
        return {**info, "cached": False}

    async def calculate(
        expression: Annotated[
            str,
            Field(
                min_length=1,
                max_length=2000,
                description="Arithmetic, e.g. '2 * (3 + 4) ** 2' or 'sqrt(2) * sin(pi / 4)'.",
            ),
        ],
    ) -> dict[str, Any]:
        """Evaluate an arithmetic expression safely (no code execution).

        Supports numbers (int, float, complex like 2j), + - * / // % ** << >> & | ^ ~, parentheses,
        the constants pi, e, tau, inf, and functions abs round min max sqrt cbrt exp log(x[, base])
        log10 log2 sin cos tan asin acos atan atan2 sinh cosh tanh hypot degrees radians floor
        ceil trunc gcd lcm factorial comb perm. Integers are exact; results too large for JSON
        numbers come back in `text`. Limits: 2000 characters, 500 operations, 60 nesting levels,
        integers up to 20000 bits. Errors: invalid_arguments (syntax, names, division by zero,
        math domain), resource_limit (too large or too deep).
        """
        value = evaluate(expression)
        return {"expression": expression, **describe_number(value)}

    async def context_set(
        key: Key,
        value: Annotated[JsonValue, Field(description="Any JSON value (object, list, string, number, ...).")],
        namespace: Namespace = "default",
        ttl_s: Annotated[
            float | None, Field(gt=0, le=MAX_TTL_S, description="Seconds until the key expires; omit to keep it.")
        ] = None,
    ) -> dict[str, Any]:
        """Store a JSON value under a key in a namespace, replacing any previous value.

        The store is shared by all clients of this server and survives restarts (SQLite under
        MCP_SERVER_DATA_DIR). Values are limited to MCP_SERVER_CONTEXT_MAX_VALUE_BYTES and the
        store to MCP_SERVER_CONTEXT_MAX_KEYS keys. Errors: invalid_arguments, resource_limit.
        """
        entry = await anyio.to_thread.run_sync(services.context_store.set, namespace, key, value, ttl_s)
        return entry.describe(with_value=False)

    async def context_get(key: Key, namespace: Namespace = "default") -> dict[str, Any]:
        """Read the value stored under a key (with its size, timestamps and expiry).

        Errors: not_found when the key does not exist or has expired; invalid_arguments.
        """
        entry = await anyio.to_thread.run_sync(services.context_store.get, namespace, key)
        return entry.describe()

    async def context_list(
        namespace: Annotated[
            str | None, Field(max_length=64, description="Only this namespace; omit for all namespaces.")
        ] = None,
        prefix: Annotated[str, Field(max_length=MAX_KEY_CHARS, description="Only keys starting with this.")] = "",
        limit: Annotated[int, Field(ge=1, le=1000, description="Most entries to return.")] = 100,
    ) -> dict[str, Any]:
        """List live keys (without values) and the key count of every namespace.

        Errors: invalid_arguments for a malformed namespace.
        """
        store = services.context_store
        entries = await anyio.to_thread.run_sync(store.list, namespace, prefix, limit)
        namespaces = await anyio.to_thread.run_sync(store.namespaces)
        return {
            "entries": [entry.describe(with_value=False) for entry in entries],
            "namespaces": namespaces,
            "truncated": len(entries) == limit,
        }

    async def context_delete(key: Key, namespace: Namespace = "default") -> dict[str, Any]:
        """Delete a key. Errors: not_found when there is no such live key; invalid_arguments."""
        await anyio.to_thread.run_sync(services.context_store.delete, namespace, key)
        return {"namespace": namespace, "key": key, "deleted": True}

    registry.add(system_info, group=GROUP, read_only=True, idempotent=True)
    registry.add(calculate, group=GROUP, read_only=True, idempotent=True)
    registry.add(context_set, group=GROUP, read_only=False, destructive=True, idempotent=True)
    registry.add(context_get, group=GROUP, read_only=True, idempotent=True)
    registry.add(context_list, group=GROUP, read_only=True, idempotent=True)
    registry.add(context_delete, group=GROUP, read_only=False, destructive=True, idempotent=False)
