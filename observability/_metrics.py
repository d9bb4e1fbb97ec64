"""Every metric instrument, declared once (SPEC 9.2), and the readers that feed OTLP and `/metrics`.

One MeterProvider lives for the whole process with two readers: prometheus-client's (through
`opentelemetry-exporter-prometheus`, into an injected `CollectorRegistry`) for `/metrics`, and
`SwitchablePushReader` for OTLP. Both read the same instruments, so `/metrics` and OTLP agree.
The push reader is our own because the SDK's `PeriodicExportingMetricReader` fixes its
interval and exporter at construction, and SPEC 9.7 changes both at runtime; keeping the
provider (rather than re-creating it) also keeps cumulative counters from resetting.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation, UpDownCounter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
    ResourceMetrics,
)
from opentelemetry.sdk.resources import Resource

SEMCONV_DURATION_BUCKETS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
# Most calls here take 1-5 ms: a p50 from a histogram whose first bucket is 10 ms says nothing.
TOOL_DURATION_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.002, 0.005, *SEMCONV_DURATION_BUCKETS)
OUTPUT_SIZE_BUCKETS: tuple[float, ...] = tuple(float(4**n) for n in range(3, 13))  # 64 B .. 16 MiB
_DEFAULT_EXPORT_INTERVAL_MS = 60_000
METER_NAME = "mcp-observatory"

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


def _interval_from_environment() -> int:
    """OTEL_METRIC_EXPORT_INTERVAL (ms), or the spec's 60 s default; a bad value is ignored."""
    raw = os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "")
    try:
        value = int(raw)
    except ValueError:
        return _DEFAULT_EXPORT_INTERVAL_MS
    return value if value > 0 else _DEFAULT_EXPORT_INTERVAL_MS


class SwitchablePushReader(MetricReader):
    """Pushes collected metrics to a replaceable exporter at a replaceable interval.

    With no exporter it collects nothing (the embedded default serves `/metrics` only).
    """

    def __init__(self, interval_ms: int | None = None) -> None:
        super().__init__(preferred_temporality={}, preferred_aggregation={})
        self._exporter: MetricExporter | None = None
        self._interval_s = (interval_ms or _interval_from_environment()) / 1000
        self._export_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._resource: Resource | None = None
        self._thread = threading.Thread(target=self._run, name="otel-metrics-push", daemon=True)
        self._thread.start()

    @property
    def interval_ms(self) -> int:
        """Current push interval in milliseconds."""
        return int(self._interval_s * 1000)

    def set_interval(self, interval_ms: int) -> None:
        """Use a new push interval from the next cycle on."""
        self._interval_s = interval_ms / 1000
        self._wake.set()

    def set_resource(self, resource: Resource | None) -> None:
        """Export metrics as if they carried `resource` (None: the provider's own)."""
        self._resource = resource

    def swap_exporter(self, exporter: MetricExporter | None, timeout_millis: float = 10_000) -> MetricExporter | None:
        """Flush what was recorded to the old exporter, then send to `exporter` from now on.

        Returns:
            The old exporter; the caller shuts it down.
        """
        if self._exporter is not None:
            self.collect(timeout_millis=timeout_millis)
        with self._export_lock:
            old, self._exporter = self._exporter, exporter
        return old

    def _receive_metrics(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> None:
        if metrics_data is None:
            return
        with self._export_lock:
            exporter = self._exporter
            if exporter is None:
                return
            if self._resource is not None:
                metrics_data = MetricsData(
                    resource_metrics=[
                        ResourceMetrics(resource=self._resource, scope_metrics=rm.scope_metrics, schema_url=rm.schema_url)
                        for rm in metrics_data.resource_metrics
                    ]
                )
            exporter.export(metrics_data, timeout_millis=timeout_millis)

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self._interval_s)
            if self._stopping:
                return
            if woken:  # interval changed: start a fresh wait
                self._wake.clear()
                continue
            if self._exporter is not None:
                self.collect(timeout_millis=self._interval_s * 1000)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Collect and export now."""
        if self._exporter is not None:
            super().force_flush(timeout_millis=timeout_millis)
            return self._exporter.force_flush(timeout_millis)
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Export one last time, stop the thread and shut the exporter down."""
        if self._exporter is not None:
            self.collect(timeout_millis=timeout_millis)
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=timeout_millis / 1000)
        with self._export_lock:
            exporter, self._exporter = self._exporter, None
        if exporter is not None:
            exporter.shutdown(timeout_millis=timeout_millis)


def build_meter_provider(resource: Resource, readers: list[MetricReader]) -> MeterProvider:
    """The process-wide MeterProvider (not set globally: the app passes it where needed)."""
    return MeterProvider(resource=resource, metric_readers=readers)
