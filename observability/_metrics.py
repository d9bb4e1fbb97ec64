"""Every metric instrument, declared once (SPEC 9.2), and the readers that feed OTLP and `/metrics`.

One MeterProvider lives for the whole runtime with two readers: prometheus-client's (through
`opentelemetry-exporter-prometheus`, into an injected `CollectorRegistry`) for `/metrics`, and
`SwitchablePushReader` for OTLP. Both read the same instruments, so `/metrics` and OTLP agree.

Why the push reader is our own: the SDK's `PeriodicExportingMetricReader` fixes its exporter
and interval at construction, and a reader cannot be removed from a MeterProvider, yet SPEC 9.7
changes endpoint, protocol, headers, interval and resource at runtime. Re-creating the
provider instead would mean re-creating every instrument (and the application's references to
them) and would reset every cumulative counter, so a backend would see counters drop to zero.
With one provider and a reader whose exporter, interval and resource can be replaced, no
runtime change needs new instruments: the middleware keeps recording into the same ones.
A swap collects everything recorded so far as the old exporter's last batch and installs the
new exporter in one step; later collections go to the new one. With cumulative temporality
the new endpoint receives the running totals, so nothing is lost, and each collection goes
to exactly one endpoint.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation, UpDownCounter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
    ResourceMetrics,
)
from opentelemetry.sdk.environment_variables import OTEL_METRIC_EXPORT_INTERVAL, OTEL_METRIC_EXPORT_TIMEOUT
from opentelemetry.sdk.resources import Resource

SEMCONV_DURATION_BUCKETS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
# Most calls here take 1-5 ms: a p50 from a histogram whose first bucket is 10 ms says nothing.
TOOL_DURATION_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.002, 0.005, *SEMCONV_DURATION_BUCKETS)
OUTPUT_SIZE_BUCKETS: tuple[float, ...] = tuple(float(4**n) for n in range(3, 13))  # 64 B .. 16 MiB
_DEFAULT_EXPORT_INTERVAL_MS = 60_000
_DEFAULT_EXPORT_TIMEOUT_MS = 30_000
METER_NAME = "mcp-observatory"
_log = structlog.get_logger("observability.metrics")


def _env_millis(name: str, default: int) -> int:
    """A positive millisecond count from the environment; the default (with a warning) if bad.

    The same rule as the SDK's `PeriodicExportingMetricReader` for the same variables.
    """
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        _log.warning("invalid_otel_environment_variable", name=name, value=raw, used=default)
        return default
    return value


def resolve_export_interval_ms(interval_ms: int | None) -> int:
    """The push interval: as given, else `OTEL_METRIC_EXPORT_INTERVAL`, else 60 s."""
    if interval_ms is not None:
        return interval_ms
    return _env_millis(OTEL_METRIC_EXPORT_INTERVAL, _DEFAULT_EXPORT_INTERVAL_MS)

GaugeSource = Callable[[], Iterable[tuple[float, dict[str, str]]]]


class GaugeSources:
    """Values for observable gauges that the application supplies (e.g. managed processes).

    The library declares the gauge; the application registers where its value comes from.
    """

    def __init__(self) -> None:
        self._sources: dict[str, GaugeSource] = {}

    def set(self, name: str, source: GaugeSource) -> None:
        """Read gauge `name` from `source` at each collection."""
        self._sources[name] = source

    def callback(self, name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        """An OTel observable callback reading the registered source (nothing if none)."""

        def observe(_options: CallbackOptions) -> Iterable[Observation]:
            source = self._sources.get(name)
            if source is None:
                return []
            return [Observation(value, attributes) for value, attributes in source()]

        return observe


@dataclass(frozen=True, slots=True)
class Instruments:
    """The SPEC 9.2 instruments, plus the project's own (`mcp.cache.*`, `mcp.http.*`)."""

    tool_duration: Histogram
    tool_calls: Counter
    tool_errors: Counter
    tool_active: UpDownCounter
    tool_output_size: Histogram
    sessions_active: UpDownCounter
    operation_duration: Histogram
    session_duration: Histogram
    cache_requests: Counter
    http_unauthorized: Counter

    @classmethod
    def create(cls, meter: Meter, gauges: GaugeSources) -> Instruments:
        """Declare every instrument on `meter`; observable gauges read from `gauges`."""
        meter.create_observable_gauge(
            "mcp.processes.managed",
            callbacks=[gauges.callback("mcp.processes.managed")],
            unit="{process}",
            description="Processes started by this server that are still tracked.",
        )
        meter.create_observable_gauge(
            "mcp.telemetry.export.consecutive_failures",
            callbacks=[gauges.callback("mcp.telemetry.export.consecutive_failures")],
            unit="{failure}",
            description="Failed exports since the last success, per signal.",
        )
        meter.create_observable_counter(
            "mcp.telemetry.export.dropped",
            callbacks=[gauges.callback("mcp.telemetry.export.dropped")],
            unit="{item}",
            description="Spans and metric points dropped by failed exports or full queues, per signal.",
        )
        return cls(
            tool_duration=meter.create_histogram(
                "mcp.tool.duration",
                unit="s",
                description="Duration of tool calls, as the server measured them.",
                explicit_bucket_boundaries_advisory=list(TOOL_DURATION_BUCKETS),
            ),
            tool_calls=meter.create_counter("mcp.tool.calls", unit="{call}", description="Tool calls by status."),
            tool_errors=meter.create_counter("mcp.tool.errors", unit="{error}", description="Tool errors by type."),
            tool_active=meter.create_up_down_counter(
                "mcp.tool.active", unit="{call}", description="Tool calls in flight."
            ),
            tool_output_size=meter.create_histogram(
                "mcp.tool.output.size",
                unit="By",
                description="Size of tool results sent to the client.",
                explicit_bucket_boundaries_advisory=list(OUTPUT_SIZE_BUCKETS),
            ),
            sessions_active=meter.create_up_down_counter(
                "mcp.sessions.active",
                unit="{session}",
                description="Open MCP sessions (handshake era) and in-flight sessionless requests.",
            ),
            operation_duration=meter.create_histogram(
                "mcp.server.operation.duration",
                unit="s",
                description="Duration of every MCP request the server handled (semantic convention).",
                explicit_bucket_boundaries_advisory=list(SEMCONV_DURATION_BUCKETS),
            ),
            session_duration=meter.create_histogram(
                "mcp.server.session.duration",
                unit="s",
                description="Duration of MCP sessions (semantic convention).",
                explicit_bucket_boundaries_advisory=list(SEMCONV_DURATION_BUCKETS),
            ),
            cache_requests=meter.create_counter(
                "mcp.cache.requests", unit="{request}", description="Cache lookups by cache and result."
            ),
            http_unauthorized=meter.create_counter(
                "mcp.http.unauthorized",
                unit="{request}",
                description="HTTP requests refused for a missing or wrong bearer token.",
            ),
        )


class SwitchablePushReader(MetricReader):
    """Pushes collected metrics to a replaceable exporter at a replaceable interval.

    With no exporter it collects nothing (the embedded default serves `/metrics` only).

    Args:
        interval_ms: push interval; None reads `OTEL_METRIC_EXPORT_INTERVAL` (default 60 s).
    """

    def __init__(self, interval_ms: int | None = None) -> None:
        super().__init__(preferred_temporality={}, preferred_aggregation={})
        self._exporter: MetricExporter | None = None
        self._resource: Resource | None = None
        self._interval_s = resolve_export_interval_ms(interval_ms) / 1000
        self._timeout_ms = _env_millis(OTEL_METRIC_EXPORT_TIMEOUT, _DEFAULT_EXPORT_TIMEOUT_MS)
        # Guards exporter, resource and capture; never held while exporting. Re-entrant: a
        # swap holds it across collect() -> _receive_metrics() on one thread.
        self._lock = threading.RLock()
        self._captured: list[MetricsData] | None = None
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="otel-metrics-push", daemon=True)
        self._thread.start()

    @property
    def interval_ms(self) -> int:
        """Current push interval in milliseconds."""
        return int(self._interval_s * 1000)

    def set_interval(self, interval_ms: int) -> None:
        """Use a new push interval from now on (the current wait is cut short)."""
        self._interval_s = interval_ms / 1000
        self._wake.set()

    def swap_exporter(
        self, exporter: MetricExporter | None, resource: Resource | None
    ) -> tuple[MetricExporter | None, MetricsData | None]:
        """Send later collections to `exporter` (labelled with `resource`; None: the provider's).

        Atomically collects what was recorded so far, for the old exporter, and swaps: no
        periodic push slips in between. Collecting is in memory; exporting that last batch
        (which may wait on a dead endpoint) is left to the caller.

        Returns:
            The old exporter and its last batch (both None when there was no exporter).
        """
        with self._lock:
            final: MetricsData | None = None
            if self._exporter is not None:
                self._captured = []
                try:
                    self._collect_safely()
                    final = self._captured[0] if self._captured else None
                finally:
                    self._captured = None
            old, self._exporter, self._resource = self._exporter, exporter, resource
        return old, final

    def _receive_metrics(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> None:
        if metrics_data is None:
            return
        with self._lock:
            if self._resource is not None:
                metrics_data = MetricsData(
                    resource_metrics=[
                        ResourceMetrics(resource=self._resource, scope_metrics=rm.scope_metrics, schema_url=rm.schema_url)
                        for rm in metrics_data.resource_metrics
                    ]
                )
            if self._captured is not None:  # a swap is collecting the old exporter's last batch
                self._captured.append(metrics_data)
                return
            exporter = self._exporter
        if exporter is not None:
            exporter.export(metrics_data, timeout_millis=timeout_millis)

    def _collect_safely(self) -> None:
        try:
            self.collect(timeout_millis=self._timeout_ms)
        # Telemetry export boundary: a slow gauge callback (MetricsTimeoutError) or an exporter
        # bug must not end the push thread, which would stop OTLP metrics for good.
        except Exception as exc:  # noqa: BLE001
            _log.warning("metrics_collection_failed", error=f"{type(exc).__name__}: {exc}")

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self._interval_s)
            if self._stopping:
                return
            if woken:  # interval changed: start a fresh wait
                self._wake.clear()
                continue
            if self._exporter is not None:
                self._collect_safely()

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Collect and export now."""
        exporter = self._exporter
        if exporter is None:
            return True
        super().force_flush(timeout_millis=timeout_millis)
        return exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Export one last time, stop the thread and shut the exporter down."""
        if self._exporter is not None:
            self._collect_safely()
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=timeout_millis / 1000)
        with self._lock:
            exporter, self._exporter = self._exporter, None
        if exporter is not None:
            exporter.shutdown(timeout_millis=timeout_millis)


def build_meter_provider(resource: Resource, readers: list[MetricReader]) -> MeterProvider:
    """The process-wide MeterProvider (not set globally: the app passes it where needed)."""
    return MeterProvider(resource=resource, metric_readers=readers)
