"""In-memory telemetry for tests: one call sets up spans, metrics and logs you can assert on.

Modelled on `structlog.testing` and the OTel SDK's in-memory sinks. Spans are captured by an
in-memory exporter attached (once per process) to the global TracerProvider, metrics are read
from the runtime's own prometheus-client registry (what `/metrics` serves), and logs through
`structlog.testing.capture_logs` (loggers are not cached in test setups so capture works).

Example:
    ```python
    telemetry, spans = setup_for_tests()
    ...  # call a tool
    assert [s.name for s in spans.get_finished_spans()] == ["mcp.tool.calculate"]
    assert metric_value(telemetry, "mcp_tool_calls_total", mcp_tool_name="calculate") == 1
    ```
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from observability._config import TelemetryConfig
from observability._telemetry import Telemetry, setup

__all__ = ["capture_logs", "metric_samples", "metric_value", "setup_for_tests", "span_tree"]

_recorder: InMemorySpanExporter | None = None


def _span_recorder() -> InMemorySpanExporter:
    global _recorder
    if _recorder is None:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            msg = "set up enabled telemetry before recording spans"
            raise RuntimeError(msg)
        _recorder = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(_recorder))
    return _recorder


def setup_for_tests(
    config: TelemetryConfig | None = None, registry: CollectorRegistry | None = None
) -> tuple[Telemetry, InMemorySpanExporter]:
    """Set up telemetry for a test and return it with a cleared in-memory span recorder.

    Args:
        config: defaults to an enabled config with no traces file and no OTLP endpoint.
        registry: a fresh prometheus-client registry when None.

    Returns:
        The live telemetry and the span recorder (spans of every later call land there,
        synchronously, besides whatever exporter the config names).
    """
    config = replace(config or TelemetryConfig(), cache_loggers=False)
    telemetry = setup(config, registry if registry is not None else CollectorRegistry())
    recorder = _span_recorder() if telemetry.enabled else InMemorySpanExporter()
    recorder.clear()
    return telemetry, recorder


def metric_samples(telemetry: Telemetry, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of a Prometheus series name (e.g. `mcp_tool_calls_total`) with its labels."""
    return [
        (dict(sample.labels), sample.value)
        for family in telemetry.registry.collect()
        for sample in family.samples
        if sample.name == name
    ]


def metric_value(telemetry: Telemetry, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0.0 when none match)."""
    return sum(
        value
        for sample_labels, value in metric_samples(telemetry, name)
        if all(sample_labels.get(key) == wanted for key, wanted in labels.items())
    )


def span_tree(spans: Iterator[ReadableSpan] | list[ReadableSpan] | tuple[ReadableSpan, ...]) -> dict[int, list[str]]:
    """Children names per parent span id, for asserting on span layout."""
    tree: dict[int, list[str]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent else 0
        tree.setdefault(parent, []).append(span.name)
    return tree
