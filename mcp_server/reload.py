"""SIGHUP: re-read the `--config` TOML file and apply its telemetry settings while serving.

Settings are frozen, so a reload builds a fresh Settings from the same sources (the file,
then the environment, with the original CLI flags on top) and derives the export
configuration from it exactly as start-up does (`app.export_config`). Only the telemetry
export settings (SPEC 9.7) change at runtime; other changed settings are named in a log
event saying they need a restart. An invalid file is logged and the running configuration
stays.
"""

from __future__ import annotations

import functools
from typing import Any

import anyio
from pydantic import ValidationError

from mcp_server.app import export_config
from mcp_server.cli import describe_settings_error
from mcp_server.settings import Settings, load_settings
from observability import ReconfigurationError, Telemetry, TelemetryDisabledError, apply_export_config, get_logger

# Fields `export_config` reads: these change on SIGHUP, everything else needs a restart.
TELEMETRY_FIELDS = frozenset(
    {
        "otlp_endpoint",
        "otlp_traces_endpoint",
        "otlp_metrics_endpoint",
        "otlp_protocol",
        "otlp_headers",
        "sampler_ratio",
        "export_interval_ms",
        "resource_attributes",
    }
)
_log = get_logger("mcp_server.reload")


def _restart_needed(old: Settings, new: Settings) -> list[str]:
    before, after = old.model_dump(), new.model_dump()
    return sorted(name for name in after if name not in TELEMETRY_FIELDS and before.get(name) != after[name])


def _load(settings: Settings) -> Settings:
    return load_settings(settings.config_file, transport=settings.transport, host=settings.host, port=settings.port)


async def reload_telemetry(settings: Settings, telemetry: Telemetry) -> dict[str, Any] | None:
    """Re-read `settings.config_file` and apply its telemetry export settings.

    Args:
        settings: the settings the server started with (their file and CLI flags are reused).
        telemetry: the live runtime.

    Returns:
        The result of `observability.apply_export_config`, or None when nothing was applied
        (no `--config`, or an invalid file or configuration; each is logged).
    """
    if settings.config_file is None:
        _log.warning("config_reload_skipped", reason="the server was started without --config")
        return None
    try:
        fresh = await anyio.to_thread.run_sync(_load, settings)
    except ValidationError as exc:
        _log.error("config_reload_failed", file=str(settings.config_file), error=describe_settings_error(exc))
        return None
    except (OSError, ValueError) as exc:  # missing or unreadable file, TOML syntax (a ValueError)
        _log.error("config_reload_failed", file=str(settings.config_file), error=f"{type(exc).__name__}: {exc}")
        return None
    ignored = _restart_needed(settings, fresh)
    if ignored:
        _log.warning("config_reload_restart_needed", settings=ignored)
    apply = functools.partial(apply_export_config, telemetry, export_config(fresh), "signal")
    try:
        return await anyio.to_thread.run_sync(apply)
    except (ReconfigurationError, TelemetryDisabledError) as exc:
        _log.error("config_reload_failed", file=str(settings.config_file), error=str(exc))
        return None
