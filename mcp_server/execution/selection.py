"""Choose the execution strategy the settings ask for, and build the process manager around it."""

from __future__ import annotations

import shutil

from mcp_server.execution.direct import DirectStrategy
from mcp_server.execution.limits import PidsCgroups
from mcp_server.execution.processes import ProcessManager
from mcp_server.execution.sandbox import SandboxStrategy, probe
from mcp_server.execution.strategy import ExecutionStrategy, StartupError
from mcp_server.settings import Settings
from observability import Telemetry, get_logger

_log = get_logger("mcp_server.execution")


def select_strategy(settings: Settings) -> tuple[ExecutionStrategy, str]:
    """The strategy for `MCP_SERVER_EXECUTION`, and why it was chosen.

    Raises:
        StartupError: `sandbox` was asked for and bubblewrap does not work here.
    """
    if settings.execution == "direct":
        return DirectStrategy(), "MCP_SERVER_EXECUTION=direct"
    bwrap = shutil.which("bwrap")
    problem = (
        "bubblewrap (bwrap) is not installed"
        if bwrap is None
        else probe(bwrap, settings.sandbox_network)
    )
    if problem is None and bwrap is not None:
        strategy = SandboxStrategy(
            settings.allowed_roots, network=settings.sandbox_network, bwrap=bwrap
        )
        return strategy, f"MCP_SERVER_EXECUTION={settings.execution}; bubblewrap works"
    if settings.execution == "sandbox":
        msg = f"MCP_SERVER_EXECUTION=sandbox but bubblewrap cannot run here: {problem}"
        raise StartupError(msg)
    return (
        DirectStrategy(),
        f"MCP_SERVER_EXECUTION=auto; bubblewrap unusable ({problem}), running directly",
    )


def build_process_manager(settings: Settings, telemetry: Telemetry) -> ProcessManager:
    """The process manager for the settings; logs which strategy is active."""
    strategy, reason = select_strategy(settings)
    cgroups = PidsCgroups.detect()
    _log.info(
        "execution_strategy_selected",
        strategy=strategy.name,
        reason=reason,
        pids_cgroup=str(cgroups.base) if cgroups else None,
    )
    return ProcessManager(
        strategy,
        telemetry.tracer,
        max_processes=settings.max_processes,
        max_output_bytes=settings.max_output_bytes,
        memory_limit_mb=settings.memory_limit_mb,
        cgroups=cgroups,
    )
