"""Tracing: one global TracerProvider whose sampler, export pipeline and resource can be swapped.

Why this design: Python lets a global TracerProvider be set once (`set_tracer_provider` warns
and ignores a second one, and tracers already handed out keep the first) and offers no way
to remove a span processor, yet SPEC 9.7 asks for endpoint, protocol, header, sampler and
resource changes while serving. Re-created providers behind a proxy would also work, but
every tracer FastMCP and libraries obtained would have to be proxied too. So the provider
gets one `SwitchableSpanProcessor` and one `SwitchableSampler` for its whole life, and those
delegate to the current `BatchSpanProcessor` (with its exporter) and ratio sampler.

A swap installs the new delegate under the lock `on_end` also takes, then shuts the old
processor down, which exports what it had queued to the old exporter: a span that ended
before the swap is in the old queue and reaches the old endpoint, a span that ends after it
reaches the new one, and none is sent twice. The lock is held only for a pointer swap, so a
tool call never waits on an exporter. A resource change is applied by `SpanViewExporter`, as
a provider's resource is fixed at construction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
    _get_from_env_or_default,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

_SCRUBBED_KEYS = frozenset({"exception.message", "exception.stacktrace"})


def build_sampler(ratio: float | None) -> Sampler:
    """`ParentBased(TraceIdRatioBased(ratio))`, or the `OTEL_TRACES_SAMPLER` choice when None."""
    if ratio is None:
        # The SDK's own OTEL_TRACES_SAMPLER lookup (private, but the only reader of that variable).
        return _get_from_env_or_default()
    return ParentBased(TraceIdRatioBased(ratio))


class SwitchableSampler(Sampler):
    """A sampler whose delegate can be replaced at runtime (SPEC 9.7 `sampler_ratio`)."""

    def __init__(self, delegate: Sampler) -> None:
        self._delegate = delegate

    def set_delegate(self, delegate: Sampler) -> None:
        """Use `delegate` for every span started from now on."""
        self._delegate = delegate

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        """Ask the current delegate."""
        return self._delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        """Describe the current delegate."""
        return f"Switchable{{{self._delegate.get_description()}}}"


class _SpanView:
    """A read-only view of a finished span with another resource and/or scrubbed events.

    The OTLP encoders only read span attributes, so a view is enough and the span itself is
    left untouched.
    """

    __slots__ = ("_span", "events", "resource")

    def __init__(self, span: ReadableSpan, resource: Resource, events: Sequence[Event]) -> None:
        self._span = span
        self.resource = resource
        self.events = events

    def __getattr__(self, name: str) -> Any:
        return getattr(self._span, name)


def _scrub_event(event: Event, scrub: Callable[[str], str]) -> Event:
    if event.name != "exception" or not event.attributes:
        return event
    attributes = {
        key: scrub(value) if isinstance(value, str) and key in _SCRUBBED_KEYS else value
        for key, value in event.attributes.items()
    }
    return Event(event.name, attributes, event.timestamp)


class SpanViewExporter(SpanExporter):
    """Export spans relabelled with the runtime resource and with exception texts scrubbed.

    A TracerProvider's resource cannot change, so a runtime resource change (SPEC 9.7) is
    applied here. Exception events are recorded by code we do not own (FastMCP's SERVER span
    records raw exception messages, which may echo arguments); SPEC section 8 wants every
    exception message on a span filtered, so the filter runs here, on the export thread.

    Args:
        inner: the real exporter.
        resource: resource to export spans with, or None to keep each span's own.
        scrub: text filter for `exception.message` and `exception.stacktrace`.
    """

    def __init__(self, inner: SpanExporter, resource: Resource | None, scrub: Callable[[str], str]) -> None:
        self.inner = inner
        self._resource = resource
        self._scrub = scrub

    def _view(self, span: ReadableSpan) -> ReadableSpan:
        has_exception = any(event.name == "exception" for event in span.events)
        if self._resource is None and not has_exception:
            return span
        events = [_scrub_event(event, self._scrub) for event in span.events] if has_exception else span.events
        return _SpanView(span, self._resource or span.resource, events)  # type: ignore[return-value]

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export views of the spans."""
        return self.inner.export([self._view(span) for span in spans])

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the wrapped exporter."""
        return self.inner.force_flush(timeout_millis)


class _DropSpanProcessor(SpanProcessor):
    """What the switchable processor delegates to when spans go nowhere."""


class SwitchableSpanProcessor(SpanProcessor):
    """The provider's only span processor; forwards to a delegate that can be swapped."""

    def __init__(self, delegate: SpanProcessor | None = None) -> None:
        self._delegate: SpanProcessor = delegate or _DropSpanProcessor()
        self._lock = threading.Lock()

    @property
    def delegate(self) -> SpanProcessor:
        """The processor spans currently go to."""
        return self._delegate

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Forward (BatchSpanProcessor ignores it, but a custom delegate may not)."""
        self._delegate.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        """Hand the span to the current delegate; the lock keeps a swap from racing it."""
        with self._lock:
            self._delegate.on_end(span)

    def swap(self, delegate: SpanProcessor | None) -> SpanProcessor:
        """Install a new delegate and return the old one, which the caller shuts down."""
        with self._lock:
            old, self._delegate = self._delegate, delegate or _DropSpanProcessor()
        return old

    def shutdown(self) -> None:
        """Shut the current delegate down (flushes its queue)."""
        self._delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the current delegate."""
        return self._delegate.force_flush(timeout_millis)


class _DropCounter:
    """The SDK's processor-metrics hook, forwarded, with every drop also reported to `on_drop`.

    A full BatchSpanProcessor queue drops a span silently (one rate-limited SDK log line, and
    `otel.sdk.processor.span.processed{error.type=queue_full}` only when the opt-in
    `OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED` is set). SPEC 9.5 wants every drop counted, so
    we hook the one place the SDK reports it. The SDK tests for a full queue before it appends,
    so a batch its worker takes at that instant can make it count a drop that did not happen:
    the count may run a little high under such a race, never low.
    """

    def __init__(self, inner: Any, on_drop: Callable[[int], None]) -> None:
        self._inner = inner
        self._on_drop = on_drop

    def register_queue_size(self, get_queue_size: Callable[[], int]) -> None:
        """Forward."""
        self._inner.register_queue_size(get_queue_size)

    def drop_items(self, count: int, error_type: str = "queue_full") -> None:
        """Forward and count the drop."""
        self._inner.drop_items(count, error_type)
        self._on_drop(count)

    def finish_items(self, count: int) -> None:
        """Forward."""
        self._inner.finish_items(count)


def build_batch_processor(
    exporter: SpanExporter | None, meter_provider: Any, on_drop: Callable[[int], None]
) -> SpanProcessor | None:
    """A BatchSpanProcessor (queue and batch sizes from `OTEL_BSP_*`) for `exporter`.

    Args:
        exporter: where batches go; None for no processor.
        meter_provider: receives the SDK's own processor metrics (when enabled by env).
        on_drop: called with the number of spans dropped because the queue was full.
    """
    if exporter is None:
        return None
    processor = BatchSpanProcessor(exporter, meter_provider=meter_provider)
    # The SDK (1.45) keeps its processor-metrics object on the private batching core and the
    # hook has no public setter; the queue-full test in
    # tests/integration/test_reconfiguration_while_serving.py fails if this moves.
    core = getattr(processor, "_batch_processor", None)
    if core is not None and hasattr(core, "_metrics"):
        core._metrics = _DropCounter(core._metrics, on_drop)  # noqa: SLF001
    return processor


def build_tracer_provider(resource: Resource, sampler: Sampler, processor: SpanProcessor) -> TracerProvider:
    """The process-wide TracerProvider with its one switchable processor."""
    provider = TracerProvider(resource=resource, sampler=sampler)
    provider.add_span_processor(processor)
    return provider
