"""What the tools share: settings, telemetry, stores and caches, built once per server."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mcp_server.caching import TTLCache
from mcp_server.execution.processes import ProcessManager
from mcp_server.execution.selection import build_process_manager
from mcp_server.security.commands import CommandPolicy
from mcp_server.settings import Settings
from mcp_server.stores.context_store import ContextStore
from observability import Telemetry


@dataclass
class Services:
    """The dependencies tool handlers receive; tests build one with their own parts.

    `processes` runs every child (commands group, run_tests); `command_policy` is the
    blocklist or allowlist of SPEC 8.
    """

    settings: Settings
    telemetry: Telemetry
    context_store: ContextStore
    system_info_cache: TTLCache[dict[str, Any]]
    file_cache: TTLCache[Any]
    started_at: float = field(default_factory=time.time)
    processes: ProcessManager | None = None
    command_policy: CommandPolicy = field(default_factory=CommandPolicy)
    command_cache: TTLCache[dict[str, Any]] | None = None

    @property
    def execution(self) -> str:
        """The active execution strategy (`direct` or `sandbox`), for system_info and the logs."""
        return self.processes.strategy.name if self.processes is not None else "direct"

    def managed_process_count(self) -> int:
        """Processes this server started that are still tracked (0 without the commands group)."""
        return int(self.processes.count()) if self.processes is not None else 0

    def close(self) -> None:
        """Kill every process this server started, then release stores; called at shutdown."""
        if self.processes is not None:
            self.processes.close()
        self.context_store.close()


def build_services(settings: Settings, telemetry: Telemetry) -> Services:
    """Create the stores and caches the settings describe."""

    def record(cache: str, result: str) -> None:
        """Count one cache lookup on `mcp.cache.requests` (`result` is `hit` or `miss`)."""
        telemetry.instruments.cache_requests.add(1, {"cache": cache, "result": result})

    services = Services(
        settings=settings,
        telemetry=telemetry,
        context_store=ContextStore(
            settings.data_dir / "context.sqlite3",
            max_value_bytes=settings.context_max_value_bytes,
            max_keys=settings.context_max_keys,
        ),
        system_info_cache=TTLCache("system_info", record, max_entries=4),
        # Decoded file contents keyed by (path, size, mtime_ns, inode); see filesystem/reading.py.
        file_cache=TTLCache("file", record, max_entries=512, max_bytes=64 * 1_048_576),
        command_cache=TTLCache("command", record, max_entries=256, max_bytes=32 * 1_048_576),
        command_policy=CommandPolicy.from_lists(
            default_blocklist=settings.default_blocklist,
            blocked=settings.blocked_commands,
            allowed=settings.allowed_commands,
        ),
        processes=build_process_manager(settings, telemetry),
    )
    telemetry.gauges.set("mcp.processes.managed", lambda: [(float(services.managed_process_count()), {})])
    return services
