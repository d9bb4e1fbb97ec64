"""Every metric instrument, declared once (SPEC 9.2), and the one reader that feeds OTLP and `/metrics`.

One MeterProvider lives for the whole process with ONE reader, `ScrapeAndPushReader`: it is
opentelemetry-exporter-prometheus's reader (serving the injected prometheus-client registry at
`/metrics`) that also pushes the same collections to a replaceable OTLP exporter at a
replaceable interval. One reader, not two, because every measurement is aggregated once per
reader: a second reader doubled the cost of each `add`/`record` on the tool-call hot path
(measured: ~15 vs ~10 us per measurement). The SDK's `PeriodicExportingMetricReader` could not
be used anyway: it fixes interval and exporter at construction, and SPEC 9.7 changes both at
runtime. Keeping one provider for the process also keeps cumulative counters from resetting.

In-flight counts (`mcp.tool.active`, `mcp.sessions.active`) are asynchronous up-down counters
read from plain integers at collection time, so a call pays two integer updates instead of two
synchronous measurements.

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
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricReader,
    MetricsData,
    ResourceMetrics,
)
from opentelemetry.sdk.environment_variables import (
    OTEL_METRIC_EXPORT_INTERVAL,
    OTEL_METRIC_EXPORT_TIMEOUT,
    OTEL_METRICS_EXEMPLAR_FILTER,
)
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry

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


class InFlight:
    """An up-down count kept as plain integers and observed at collection time.

    Same `add(amount, attributes)` as a synchronous UpDownCounter, at the cost of a dict
    update under a lock instead of an SDK measurement.
    """

    def __init__(self) -> None:
        self._counts: dict[frozenset[tuple[str, str]], int] = {}
        self._lock = threading.Lock()

    def add(self, amount: int, attributes: dict[str, str] | None = None) -> None:
        """Move the count for `attributes` by `amount`."""
        key = frozenset((attributes or {}).items())
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount

    def value(self, attributes: dict[str, str] | None = None) -> int:
        """Current count for exactly these attributes."""
        with self._lock:
            return self._counts.get(frozenset((attributes or {}).items()), 0)

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        """OTel callback: one observation per attribute set ever seen (zeros included)."""
        with self._lock:
            items = list(self._counts.items())
        return [Observation(count, dict(key)) for key, count in items]


@dataclass(frozen=True, slots=True)
class Instruments:
    """The SPEC 9.2 instruments, plus the project's own (`mcp.cache.*`, `mcp.http.*`)."""

    tool_duration: Histogram
    tool_calls: Counter
    tool_errors: Counter
    tool_active: InFlight
    tool_output_size: Histogram
    sessions_active: InFlight
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
        tool_active, sessions_active = InFlight(), InFlight()
        meter.create_observable_up_down_counter(
            "mcp.tool.active", callbacks=[tool_active.observe], unit="{call}", description="Tool calls in flight."
        )
        meter.create_observable_up_down_counter(
            "mcp.sessions.active",
            callbacks=[sessions_active.observe],
            unit="{session}",
            description="Open MCP sessions (handshake era) and in-flight sessionless requests.",
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
            tool_active=tool_active,
            tool_output_size=meter.create_histogram(
                "mcp.tool.output.size",
                unit="By",
                description="Size of tool results sent to the client.",
                explicit_bucket_boundaries_advisory=list(OUTPUT_SIZE_BUCKETS),
            ),
            sessions_active=sessions_active,
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


class ScrapeAndPushReader(PrometheusMetricReader):
    """Serves `/metrics` from a prometheus-client registry and pushes to a swappable exporter.

    Scrapes (prometheus-client calling back into `collect`) feed the registry as in the parent
    class; collections started by the push thread or a swap go to the exporter instead (a
    thread-local flag tells them apart, since `collect` runs on the caller's thread). With no
    exporter nothing is pushed (the embedded default serves `/metrics` only).

    Args:
        registry: the prometheus-client registry `/metrics` is served from.
        interval_ms: push interval; None reads `OTEL_METRIC_EXPORT_INTERVAL` (default 60 s).
    """

    def __init__(self, registry: CollectorRegistry, interval_ms: int | None = None) -> None:
        super().__init__(registry=registry)
        self._exporter: MetricExporter | None = None
        self._resource: Resource | None = None
        self._interval_s = resolve_export_interval_ms(interval_ms) / 1000
        self._timeout_ms = _env_millis(OTEL_METRIC_EXPORT_TIMEOUT, _DEFAULT_EXPORT_TIMEOUT_MS)
        # Guards exporter, resource and capture; never held while exporting. Re-entrant: a
        # swap holds it across collect() -> _receive_metrics() on one thread.
        self._lock = threading.RLock()
        self._captured: list[MetricsData] | None = None
        self._pushing = threading.local()
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
        """Send later pushes to `exporter` (labelled with `resource`; None: the provider's).

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
                    self._push_safely()
                    final = self._captured[0] if self._captured else None
                finally:
                    self._captured = None
            old, self._exporter, self._resource = self._exporter, exporter, resource
        return old, final

    def _receive_metrics(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> None:
        if not getattr(self._pushing, "active", False):
            super()._receive_metrics(metrics_data, timeout_millis, **kwargs)  # a scrape
            return
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

    def _push_safely(self) -> None:
        self._pushing.active = True
        try:
            self.collect(timeout_millis=self._timeout_ms)
        # Telemetry export boundary: a slow gauge callback (MetricsTimeoutError) or an exporter
        # bug must not end the push thread, which would stop OTLP metrics for good.
        except Exception as exc:  # noqa: BLE001
            _log.warning("metrics_collection_failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._pushing.active = False

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self._interval_s)
            if self._stopping:
                return
            if woken:  # interval changed: start a fresh wait
                self._wake.clear()
                continue
            if self._exporter is not None:
                self._push_safely()

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Push now and flush the exporter."""
        exporter = self._exporter
        if exporter is None:
            return True
        self._push_safely()
        return exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Push one last time, stop the thread, shut the exporter down, leave the registry."""
        if self._exporter is not None:
            self._push_safely()
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=timeout_millis / 1000)
        with self._lock:
            exporter, self._exporter = self._exporter, None
        if exporter is not None:
            exporter.shutdown(timeout_millis=timeout_millis)
        super().shutdown(timeout_millis=timeout_millis, **kwargs)


def build_meter_provider(resource: Resource, readers: list[MetricReader]) -> MeterProvider:
    """The process-wide MeterProvider (not set globally: the app passes it where needed).

    Exemplars are off unless `OTEL_METRICS_EXEMPLAR_FILTER` asks for them: the SDK's
    `trace_based` default offers every measurement made inside a sampled span to a reservoir
    (~2.5 us a measurement, four per tool call), and `/metrics` carries no exemplars anyway.
    The bundled stack gets its metric-to-trace links from the Collector's span metrics.
    """
    exemplar_filter = None if os.environ.get(OTEL_METRICS_EXEMPLAR_FILTER) else AlwaysOffExemplarFilter()
    return MeterProvider(resource=resource, metric_readers=readers, exemplar_filter=exemplar_filter)
