"""The `direct` strategy: children run on the host, in their own session, under rlimits.

Limits and the pids cgroup hold for an unprivileged server. A server running as root can be
undone by its children (root may raise hard limits and leave cgroups): use `sandbox` there.
"""

from __future__ import annotations

from mcp_server.execution.strategy import (
    ExecutionStrategy,
    Launch,
    child_environment,
    server_environment,
)


class DirectStrategy(ExecutionStrategy):
    """Host execution: the argv as given, the minimal environment."""

    name = "direct"

    def wrap(self, argv: list[str], launch: Launch) -> list[str]:
        """The argv unchanged."""
        return argv

    def environment(self, launch: Launch) -> dict[str, str]:
        """Inherited PATH/HOME/LANG..., defaults, and the call's `env`."""
        return child_environment(server_environment(), launch.env)
