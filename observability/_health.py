"""Exporter health: last success, failures, dropped items; and rate-limited failure logs.

Health is tracked by wrapping whichever exporter is current, so the traces file, OTLP/HTTP
and OTLP/gRPC report the same way. The SDK's own `otel.sdk.exporter.*` metrics cover the OTLP
exporters only, and nothing in the SDK keeps "last success" or "consecutive failures".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

_LOG_EVERY_S = 30.0
_logger = structlog.get_logger("observability.export")


@dataclass
class ExporterHealth:
    """Counters for one signal's exports. Updated from the export thread; read anywhere."""

    signal: str
    target: str = "none"
    last_success_unix: float | None = None
    last_failure_unix: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    failures_total: int = 0
    exported_items: int = 0
    dropped_items: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_log: float = field(default=0.0, repr=False)
    _suppressed: int = field(default=0, repr=False)

    def record_success(self, items: int) -> None:
        """Count a successful export of `items` spans or metric points."""
        with self._lock:
            self.last_success_unix = time.time()
            self.consecutive_failures = 0
            self.exported_items += items

    def record_failure(self, items: int, error: str) -> None:
        """Count a failed export; its items are dropped. Logs at most every 30 s."""
        now = time.time()
        with self._lock:
            self.last_failure_unix = now
            self.last_error = error[:300]
            self.consecutive_failures += 1
            self.failures_total += 1
            self.dropped_items += items
            if now - self._last_log < _LOG_EVERY_S:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last_log = self._suppressed, 0, now
        _logger.warning(
            "telemetry_export_failed",
            signal=self.signal,
            target=self.target,
            error=error[:300],
            dropped_items=items,
            failures_not_logged=suppressed,
        )

    def record_dropped(self, items: int) -> None:
        """Count items dropped before export (a full queue)."""
        with self._lock:
            self.dropped_items += items

    @property
    def healthy(self) -> bool:
        """No failure since the last success (three in a row count as unhealthy)."""
        return self.consecutive_failures < 3

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy for `telemetry_status`, `/readyz` and the admin endpoint."""
        with self._lock:
            return {
                "target": self.target,
                "healthy": self.consecutive_failures < 3,
                "last_success_unix": self.last_success_unix,
                "last_failure_unix": self.last_failure_unix,
                "last_error": self.last_error,
                "consecutive_failures": self.consecutive_failures,
                "failures_total": self.failures_total,
                "exported_items": self.exported_items,
                "dropped_items": self.dropped_items,
            }


class HealthTrackingSpanExporter(SpanExporter):
    """Forward to an exporter and record the outcome in an `ExporterHealth`."""

    def __init__(self, inner: SpanExporter, health: ExporterHealth) -> None:
        self.inner = inner
        self._health = health

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export and count; an exception from the exporter is a failure, never raised."""
        try:
            result = self.inner.export(spans)
        # Telemetry export boundary: an exporter bug must not kill the export thread.
        except Exception as exc:  # noqa: BLE001
            self._health.record_failure(len(spans), f"{type(exc).__name__}: {exc}")
            return SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self._health.record_success(len(spans))
        else:
            self._health.record_failure(len(spans), "export returned FAILURE")
        return result

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the wrapped exporter."""
        return self.inner.force_flush(timeout_millis)


def count_points(metrics_data: MetricsData) -> int:
    """Number of data points in a metrics batch (what a failed export drops)."""
    return sum(
        len(metric.data.data_points)
        for resource_metrics in metrics_data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    )


class HealthTrackingMetricExporter(MetricExporter):
    """Forward metric batches to an exporter and record the outcome."""

    def __init__(self, inner: MetricExporter, health: ExporterHealth) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,  # noqa: SLF001 - keep the inner choice
            preferred_aggregation=inner._preferred_aggregation,  # noqa: SLF001
        )
        self.inner = inner
        self._health = health

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        """Export and count; exporter exceptions become failures."""
        points = count_points(metrics_data)
        try:
            result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        # Telemetry export boundary: see HealthTrackingSpanExporter.export.
        except Exception as exc:  # noqa: BLE001
            self._health.record_failure(points, f"{type(exc).__name__}: {exc}")
            return MetricExportResult.FAILURE
        if result is MetricExportResult.SUCCESS:
            self._health.record_success(points)
        else:
            self._health.record_failure(points, "export returned FAILURE")
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Flush the wrapped exporter."""
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Shut the wrapped exporter down."""
        self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)
