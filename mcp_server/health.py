"""Liveness and readiness facts shared by `/healthz`, `/readyz` and the `health_check` tool."""

from __future__ import annotations

import os
import time
from typing import Any

from mcp_server import __version__
from mcp_server.services import Services


def _data_dir_writable(services: Services) -> bool:
    data_dir = services.settings.data_dir
    return os.access(data_dir, os.W_OK) and services.context_store.is_writable()


def readiness(services: Services) -> dict[str, Any]:
    """Readiness of the server, JSON-ready.

    `ready` is false only when the server cannot do its job (the data dir is not writable).
    A failing telemetry exporter or exhausted process slots make it `degraded`, not unready:
    taking a server out of rotation because its collector is down would turn a telemetry
    outage into a service outage, which SPEC 9.5 forbids.

    Returns:
        `{"status": "ready" | "degraded" | "unready", "ready": bool, "checks": {...}}`.
    """
    telemetry = services.telemetry.status()
    used = services.managed_process_count()
    limit = services.settings.max_processes
    checks = {
        "data_dir_writable": _data_dir_writable(services),
        "telemetry": {
            "enabled": telemetry["enabled"],
            "traces": telemetry["traces"],
            "metrics": telemetry["metrics"],
            "healthy": telemetry["traces"]["healthy"] and telemetry["metrics"]["healthy"],
        },
        "process_slots": {"used": used, "max": limit, "available": max(limit - used, 0)},
    }
    ready = bool(checks["data_dir_writable"])
    degraded = not checks["telemetry"]["healthy"] or used >= limit
    status = "unready" if not ready else "degraded" if degraded else "ready"
    return {"status": status, "ready": ready, "checks": checks}


def liveness(services: Services) -> dict[str, Any]:
    """Liveness: the process answers. No dependency is checked."""
    return {"status": "alive", "version": __version__, "uptime_s": round(time.time() - services.started_at, 3)}
