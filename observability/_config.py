"""The frozen configuration the telemetry library is set up with (a view of the app's settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Protocol = Literal["grpc", "http/protobuf"]
PROTOCOLS: tuple[Protocol, ...] = ("grpc", "http/protobuf")
ResourceValue = str | bool | int | float


@dataclass(frozen=True, slots=True)
class ExportConfig:
    """Where and how spans and metrics leave the process; the part that can change at runtime.

    `None` fields mean "consult the standard OTEL_* environment variable", as in the SDK:
    `headers` -> `OTEL_EXPORTER_OTLP_HEADERS`, `sampler_ratio` -> `OTEL_TRACES_SAMPLER`/`_ARG`,
    `export_interval_ms` -> `OTEL_METRIC_EXPORT_INTERVAL`. `endpoint=None` (and no per-signal
    endpoint) selects the embedded default of SPEC 9.6: metrics only on `/metrics`, traces
    appended to the traces file. Build it from untrusted input only through
    `observability.apply_telemetry_update`, which validates it first.
    """

    endpoint: str | None = None
    traces_endpoint: str | None = None
    metrics_endpoint: str | None = None
    protocol: Protocol = "http/protobuf"
    headers: Mapping[str, str] | None = None
    sampler_ratio: float | None = None
    export_interval_ms: int | None = None
    resource_attributes: Mapping[str, ResourceValue] = field(default_factory=dict)

    @property
    def otlp_enabled(self) -> bool:
        """Whether any OTLP endpoint is configured."""
        return bool(self.endpoint or self.traces_endpoint or self.metrics_endpoint)


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    """Everything `observability.setup` needs, built by the application.

    Example:
        ```python
        config = TelemetryConfig(service_version="1.0.0", traces_file=Path("traces.jsonl"))
        telemetry = observability.setup(config)
        ```
    """

    service_name: str = "mcp-observatory"
    service_version: str = "0.0.0"
    enabled: bool = True
    export: ExportConfig = field(default_factory=ExportConfig)
    traces_file: Path | None = None
    traces_file_max_bytes: int = 50 * 1_048_576
    record_arguments: bool = True
    max_argument_chars: int = 1024
    payload_keys: frozenset[str] = frozenset()
    masked_value_keys: frozenset[str] = frozenset()
    secrets: tuple[str, ...] = ()
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    system_metrics: bool = True
    cache_loggers: bool = True
