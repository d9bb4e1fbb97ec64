"""The process's telemetry runtime: providers, readers, exporters, health, and their reconfiguration.

`setup()` is the only place that sets the global TracerProvider and configures structlog. The
TracerProvider is created once per process (Python cannot replace it) and re-pointed by every
later `setup()` or `Telemetry.reconfigure()`; see `_tracing` and `_metrics` for how and why.

`Telemetry.reconfigure()` builds the whole new pipeline (exporters, sampler, resource) before
touching the running one, so a change that cannot be built leaves the old one in place. It
then swaps traces (new BatchSpanProcessor) and metrics (the reader's last batch for the old
exporter is collected in the same step) and hands the old pipeline to a background drain
(`_drain`), which delivers it to the old endpoint within a deadline. Reconfigurations are
serialised by a lock; they are quick, but callers on an event loop still run them on a worker
thread since one may wait for another. Tool calls never take that lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import fastmcp
from opentelemetry import trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from observability._config import ExportConfig, TelemetryConfig
from observability._drain import Drains
from observability._exporters import build_metric_exporter, build_span_exporter, describe_target
from observability._health import ExporterHealth, HealthTrackingMetricExporter, HealthTrackingSpanExporter
from observability._logging import configure_logging, get_logger
from observability._metrics import (
    METER_NAME,
    GaugeSources,
    Instruments,
    ScrapeAndPushReader,
    build_meter_provider,
    resolve_export_interval_ms,
)
from observability._process import instrument_system_metrics
from observability._redaction import Redactor
from observability._resource import build_resource
from observability._tracing import (
    SwitchableSampler,
    SpanViewExporter,
    SwitchableSpanProcessor,
    build_batch_processor,
    build_sampler,
    build_tracer_provider,
)

TRACER_NAME = "mcp-observatory"
# How long the old span pipeline may keep sending after a switch before the rest is dropped.
DRAIN_TIMEOUT_S = 5.0
_log = get_logger("observability")


class TelemetryDisabledError(RuntimeError):
    """Reconfiguration asked of a runtime set up with telemetry off."""


@dataclass(frozen=True)
class _Pipeline:
    """Everything a new export configuration needs, built before anything is switched."""

    resource: Resource
    span_exporter: Any
    metric_exporter: Any
    traces_target: str
    metrics_target: str


def _finish_metric_exporter(exporter: MetricExporter, last_batch: MetricsData | None) -> None:
    """Send a replaced exporter its last batch, then shut it down (on a drain thread)."""
    if last_batch is not None:
        exporter.export(last_batch)
    exporter.shutdown()


def describe_export(export: ExportConfig) -> dict[str, Any]:
    """The JSON-ready view of an export configuration: header names only, never values."""
    return {
        "endpoint": export.endpoint,
        "traces_endpoint": export.traces_endpoint,
        "metrics_endpoint": export.metrics_endpoint,
        "protocol": export.protocol,
        "headers": sorted(export.headers or {}),
        "sampler_ratio": export.sampler_ratio,
        "export_interval_ms": export.export_interval_ms,
        "resource_attributes": dict(export.resource_attributes),
    }


class _GlobalTracing:
    """The one TracerProvider of the process and its switchable parts."""

    def __init__(self, resource: Resource) -> None:
        self.processor = SwitchableSpanProcessor()
        self.sampler = SwitchableSampler(build_sampler(1.0))
        self.provider: TracerProvider = build_tracer_provider(resource, self.sampler, self.processor)
        trace.set_tracer_provider(self.provider)


_global_tracing: _GlobalTracing | None = None
_active: Telemetry | None = None
_setup_lock = threading.Lock()


class Telemetry:
    """Live telemetry: what the middleware records into and what the admin surface changes.

    Build it with `observability.setup(config)`; do not construct it directly.
    """

    def __init__(self, config: TelemetryConfig, registry: CollectorRegistry | None) -> None:
        self.config = config
        self.registry = registry if registry is not None else CollectorRegistry()
        self.gauges = GaugeSources()
        self.redactor = Redactor(
            payload_keys=config.payload_keys,
            masked_value_keys=config.masked_value_keys,
            secrets=config.secrets,
            max_chars=config.max_argument_chars,
        )
        self.health = {"traces": ExporterHealth("traces"), "metrics": ExporterHealth("metrics")}
        self._reconfigure_lock = threading.Lock()
        self._export = config.export
        self._push_reader: ScrapeAndPushReader | None = None
        self._span_exporter: HealthTrackingSpanExporter | None = None
        self._drains = Drains()
        self._meter_provider: Any = NoOpMeterProvider()
        if config.enabled:
            self._start()
        self.instruments = Instruments.create(self._meter_provider.get_meter(METER_NAME), self.gauges)
        self.tracer: Tracer = trace.get_tracer(TRACER_NAME, config.service_version)
        self.gauges.set("mcp.telemetry.export.consecutive_failures", self._failures_observation)
        self.gauges.set("mcp.telemetry.export.dropped", self._dropped_observation)

    @property
    def enabled(self) -> bool:
        """Whether spans and metrics are recorded."""
        return self.config.enabled

    @property
    def export(self) -> ExportConfig:
        """The export configuration in force."""
        return self._export

    @property
    def meter_provider(self) -> Any:
        """The MeterProvider the instruments live on (a no-op one when disabled)."""
        return self._meter_provider

    def _start(self) -> None:
        global _global_tracing

        resource = build_resource(self.config.service_name, self.config.service_version, self._export.resource_attributes)
        self._push_reader = ScrapeAndPushReader(self.registry, self._export.export_interval_ms)
        self._meter_provider = build_meter_provider(resource, [self._push_reader])
        if self.config.system_metrics:
            instrument_system_metrics(self._meter_provider)
        if _global_tracing is None:
            _global_tracing = _GlobalTracing(resource)
        self._apply_export(self._export)

    def _build_pipeline(self, export: ExportConfig) -> _Pipeline:
        """Build exporters and resource for `export`; raises before anything is switched."""
        assert _global_tracing is not None
        config = self.config
        resource = build_resource(config.service_name, config.service_version, export.resource_attributes)
        span_exporter = build_span_exporter(export, config.traces_file, config.traces_file_max_bytes, self._meter_provider)
        if span_exporter is not None:
            same_resource = dict(resource.attributes) == dict(_global_tracing.provider.resource.attributes)
            span_exporter = SpanViewExporter(span_exporter, None if same_resource else resource, self.redactor.text)
        return _Pipeline(
            resource=resource,
            span_exporter=span_exporter,
            metric_exporter=build_metric_exporter(export, self._meter_provider),
            traces_target=describe_target(export, "traces", config.traces_file),
            metrics_target=describe_target(export, "metrics", config.traces_file),
        )

    def _apply_export(self, export: ExportConfig) -> None:
        """Point traces and metrics at `export`; what the old targets had is drained to them."""
        pipeline = self._build_pipeline(export)
        self._switch_traces(export, pipeline)
        self._switch_metrics(export, pipeline)

    def _switch_traces(self, export: ExportConfig, pipeline: _Pipeline) -> None:
        assert _global_tracing is not None
        health = self.health["traces"]
        generation = health.retarget(pipeline.traces_target)
        exporter = None
        if pipeline.span_exporter is not None:
            exporter = HealthTrackingSpanExporter(pipeline.span_exporter, health, generation)
        processor = build_batch_processor(
            exporter, self._meter_provider, lambda count: health.record_dropped(count, queue_full=True)
        )
        _global_tracing.sampler.set_delegate(build_sampler(export.sampler_ratio))
        old_processor = _global_tracing.processor.swap(processor)
        old_exporter, self._span_exporter = self._span_exporter, exporter
        if old_exporter is not None:
            # Bounded: after the deadline the old queue is counted as dropped, not sent.
            old_exporter.retire(time.monotonic() + DRAIN_TIMEOUT_S)
            self._drains.start("traces", old_processor.shutdown)

    def _switch_metrics(self, export: ExportConfig, pipeline: _Pipeline) -> None:
        assert self._push_reader is not None
        health = self.health["metrics"]
        generation = health.retarget(pipeline.metrics_target)
        exporter = None
        if pipeline.metric_exporter is not None:
            exporter = HealthTrackingMetricExporter(pipeline.metric_exporter, health, generation)
        old_exporter, last_batch = self._push_reader.swap_exporter(exporter, pipeline.resource)
        self._push_reader.set_interval(resolve_export_interval_ms(export.export_interval_ms))
        if old_exporter is not None:
            self._drains.start("metrics", lambda: _finish_metric_exporter(old_exporter, last_batch))

    def reconfigure(
        self, change: ExportConfig | Callable[[ExportConfig], ExportConfig], source: str
    ) -> tuple[ExportConfig, ExportConfig]:
        """Switch exporters, sampler, interval and resource while serving (SPEC 9.7).

        Use `observability.apply_telemetry_update` for untrusted input: it validates first.

        Args:
            change: the complete new export configuration, or a function from the current
                one to the new one (run under the reconfiguration lock, so partial updates
                from concurrent callers compose); it may raise to refuse the change.
            source: who asked (`http`, `tool`, `signal`), for the log event.

        Returns:
            The previous and the new export configuration (equal when nothing changed).

        Raises:
            TelemetryDisabledError: telemetry is off; nothing can be re-pointed.
        """
        if not self.enabled:
            msg = "telemetry is off (MCP_SERVER_TELEMETRY=off or OTEL_SDK_DISABLED=true); restart with it on"
            raise TelemetryDisabledError(msg)
        with self._reconfigure_lock:
            if self._push_reader is None:
                msg = "telemetry has been shut down"
                raise TelemetryDisabledError(msg)
            old = self._export
            new = change(old) if callable(change) else change
            if new != old:
                self._apply_export(new)
                self._export = new
                self.config = replace(self.config, export=new)
        self._log_change(old, new, source)
        return old, new

    def _log_change(self, old: ExportConfig, new: ExportConfig, source: str) -> None:
        traces_file = self.config.traces_file
        _log.info(
            "telemetry_reconfigured",
            source=source,
            changed=new != old,
            old_endpoint=old.endpoint,
            new_endpoint=new.endpoint,
            old_traces=describe_target(old, "traces", traces_file),
            new_traces=describe_target(new, "traces", traces_file),
            old_metrics=describe_target(old, "metrics", traces_file),
            new_metrics=describe_target(new, "metrics", traces_file),
            protocol=new.protocol,
            headers={name: "***" for name in (new.headers or {})},
            sampler_ratio=new.sampler_ratio,
            export_interval_ms=new.export_interval_ms,
            resource_attributes=dict(new.resource_attributes),
        )

    def _failures_observation(self) -> list[tuple[float, dict[str, str]]]:
        return [(float(h.consecutive_failures), {"signal": s}) for s, h in self.health.items()]

    def _dropped_observation(self) -> list[tuple[float, dict[str, str]]]:
        return [(float(h.dropped_items), {"signal": s}) for s, h in self.health.items()]

    def status(self) -> dict[str, Any]:
        """Current endpoint and exporter health, JSON-ready (header values never shown)."""
        return {
            "enabled": self.enabled,
            "service_name": self.config.service_name,
            "service_version": self.config.service_version,
            **describe_export(self._export),
            "export_interval_ms": self._push_reader.interval_ms if self._push_reader else None,
            "traces_file": str(self.config.traces_file) if self.config.traces_file else None,
            "traces": self.health["traces"].snapshot(),
            "metrics": self.health["metrics"].snapshot(),
        }

    def force_flush(self, timeout_millis: int = 10_000) -> None:
        """Export everything recorded so far, including what replaced pipelines still drain."""
        if not self.enabled:
            return
        self._drains.wait(timeout_millis / 1000)
        if _global_tracing is not None:
            _global_tracing.processor.force_flush(timeout_millis)
        if self._push_reader is not None:
            self._push_reader.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: int = 10_000) -> None:
        """Flush and stop; safe to call twice. The global TracerProvider stays for a later setup."""
        with self._reconfigure_lock:
            if not self.enabled or self._push_reader is None:
                return
            if _global_tracing is not None:
                old = _global_tracing.processor.swap(None)
                if self._span_exporter is not None:
                    self._span_exporter.retire(time.monotonic() + timeout_millis / 1000)
                old.shutdown()
            self._drains.wait(timeout_millis / 1000)
            self._meter_provider.shutdown(timeout_millis=timeout_millis)
            self._push_reader = None


def setup(config: TelemetryConfig, registry: CollectorRegistry | None = None) -> Telemetry:
    """Configure logging, tracing and metrics for the process and return the live runtime.

    Calling it again replaces the previous runtime (which is shut down first). With
    `config.enabled=False` logging is configured and the instruments are no-ops.

    Args:
        config: what to export and how.
        registry: prometheus-client registry `/metrics` is served from (a fresh one if None).

    Returns:
        The live `Telemetry`.

    Example:
        ```python
        telemetry = observability.setup(TelemetryConfig(service_version="1.2.3"))
        app.add_middleware(observability.TelemetryMiddleware(telemetry))
        ```
    """
    global _active
    configure_logging(config.log_level, config.log_format, config.cache_loggers)
    with _setup_lock:
        if _active is not None:
            _active.shutdown()
        try:
            _active = Telemetry(config, registry)
        # Telemetry never stops the server: fall back to no-op instruments and say so once.
        except Exception as exc:  # noqa: BLE001
            _log.error("telemetry_setup_failed", error=f"{type(exc).__name__}: {exc}")
            _active = Telemetry(replace(config, enabled=False), registry)
        # FastMCP keeps propagating the `params._meta` trace context but opens no spans: our
        # middleware's SERVER span is the request's only one (see observability/middleware.py).
        fastmcp.settings.telemetry_mode = "propagation_only" if _active.enabled else "off"
    return _active


def shutdown(timeout_millis: int = 10_000) -> None:
    """Flush and stop the active runtime; safe to call twice."""
    if _active is not None:
        _active.shutdown(timeout_millis)


def current() -> Telemetry | None:
    """The runtime set up last, or None before `setup()`."""
    return _active
