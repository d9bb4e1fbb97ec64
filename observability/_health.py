"""Exporter health: last success, failures, dropped items; and rate-limited failure logs.

Health is tracked by wrapping whichever exporter is current, so the traces file, OTLP/HTTP
and OTLP/gRPC report the same way. The SDK's own `otel.sdk.exporter.*` and
`otel.sdk.processor.*` metrics exist only with `OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED=true`,
and nothing in the SDK keeps "last success" or "consecutive failures".

A runtime switch (SPEC 9.7) gives the signal a new *generation*: the old exporter still
flushes what it had after the switch, and its outcomes count in the totals (exported,
dropped, failures) but not in the current endpoint's last success or consecutive failures,
so a dead old collector does not make the new one look unhealthy, nor the other way round.
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
_UNHEALTHY_AFTER = 3
_logger = structlog.get_logger("observability.export")


@dataclass
class ExporterHealth:
    """Counters for one signal's exports. Updated from the export threads; read anywhere."""

    signal: str
    target: str = "none"
    generation: int = 0
    last_success_unix: float | None = None
    last_failure_unix: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    failures_total: int = 0
    exported_items: int = 0
    dropped_items: int = 0
    dropped_queue_full: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_log: float = field(default=0.0, repr=False)
    _suppressed: int = field(default=0, repr=False)

    def retarget(self, target: str) -> int:
        """Start a new generation for a new exporter; returns its number.

        The current endpoint's state (last success, last error, consecutive failures) starts
        afresh, and its first failure is logged at once; the totals keep counting.
        """
        with self._lock:
            self._last_log = 0.0
            self.generation += 1
            self.target = target
            self.last_success_unix = None
            self.last_failure_unix = None
            self.last_error = None
            self.consecutive_failures = 0
            return self.generation

    def record_success(self, items: int, generation: int) -> None:
        """Count a successful export of `items` spans or metric points."""
        with self._lock:
            self.exported_items += items
            if generation == self.generation:
                self.last_success_unix = time.time()
                self.consecutive_failures = 0

    def record_failure(self, items: int, error: str, generation: int, target: str) -> None:
        """Count a failed export; its items are dropped. Logs at most every 30 s."""
        now = time.time()
        with self._lock:
            self.failures_total += 1
            self.dropped_items += items
            if generation == self.generation:
                self.last_failure_unix = now
                self.last_error = error[:300]
                self.consecutive_failures += 1
            if now - self._last_log < _LOG_EVERY_S:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last_log = self._suppressed, 0, now
        _logger.warning(
            "telemetry_export_failed",
            signal=self.signal,
            target=target,
            error=error[:300],
            dropped_items=items,
            failures_not_logged=suppressed,
        )

    def record_dropped(self, items: int, *, queue_full: bool = False) -> None:
        """Count items dropped without an export attempt (a full queue, a drain deadline)."""
        with self._lock:
            self.dropped_items += items
            if queue_full:
                self.dropped_queue_full += items

    @property
    def healthy(self) -> bool:
        """Fewer than three failed exports in a row to the current endpoint."""
        return self.consecutive_failures < _UNHEALTHY_AFTER

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy for `telemetry_status`, `/readyz` and the admin endpoint."""
        with self._lock:
            return {
                "target": self.target,
                "healthy": self.consecutive_failures < _UNHEALTHY_AFTER,
                "last_success_unix": self.last_success_unix,
                "last_failure_unix": self.last_failure_unix,
                "last_error": self.last_error,
                "consecutive_failures": self.consecutive_failures,
                "failures_total": self.failures_total,
                "exported_items": self.exported_items,
                "dropped_items": self.dropped_items,
                "dropped_queue_full": self.dropped_queue_full,
            }


class HealthTrackingSpanExporter(SpanExporter):
    """Forward to an exporter and record the outcome in an `ExporterHealth`.

    Created with the generation `health.retarget()` returned for it. After a switch,
    `retire(deadline)` bounds how long the old exporter may keep draining: batches it is handed
    after the deadline are counted as dropped instead of waiting on a dead endpoint, so a
    switch away from a black-holed collector finishes in bounded time.
    """

    def __init__(self, inner: SpanExporter, health: ExporterHealth, generation: int) -> None:
        self.inner = inner
        self._health = health
        self._generation = generation
        self._target = health.target
        self._deadline: float | None = None

    def retire(self, deadline_monotonic: float) -> None:
        """Stop sending after `deadline_monotonic` (a `time.monotonic()` value)."""
        self._deadline = deadline_monotonic

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export and count; an exception from the exporter is a failure, never raised."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            self._health.record_dropped(len(spans))
            return SpanExportResult.FAILURE
        try:
            result = self.inner.export(spans)
        # Telemetry export boundary: an exporter bug must not kill the export thread.
        except Exception as exc:  # noqa: BLE001
            self._record_failure(len(spans), f"{type(exc).__name__}: {exc}")
            return SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self._health.record_success(len(spans), self._generation)
        else:
            self._record_failure(len(spans), "export returned FAILURE")
        return result

    def _record_failure(self, items: int, error: str) -> None:
        self._health.record_failure(items, error, self._generation, self._target)

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

    def __init__(self, inner: MetricExporter, health: ExporterHealth, generation: int) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,  # noqa: SLF001 - keep the inner choice
            preferred_aggregation=inner._preferred_aggregation,  # noqa: SLF001
        )
        self.inner = inner
        self._health = health
        self._generation = generation
        self._target = health.target

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        """Export and count; exporter exceptions become failures."""
        points = count_points(metrics_data)
        try:
            result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        # Telemetry export boundary: see HealthTrackingSpanExporter.export.
        except Exception as exc:  # noqa: BLE001
            self._health.record_failure(points, f"{type(exc).__name__}: {exc}", self._generation, self._target)
            return MetricExportResult.FAILURE
        if result is MetricExportResult.SUCCESS:
            self._health.record_success(points, self._generation)
        else:
            self._health.record_failure(points, "export returned FAILURE", self._generation, self._target)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Flush the wrapped exporter."""
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Shut the wrapped exporter down."""
        self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)
