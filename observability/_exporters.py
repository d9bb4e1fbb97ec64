"""Build the span and metric exporters an `ExportConfig` asks for (OTLP gRPC/HTTP or file)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter
from opentelemetry.sdk.trace.export import SpanExporter

from observability._config import ExportConfig
from observability._traces_file import TracesFileExporter


def describe_target(config: ExportConfig, signal: str, traces_file: Path | None) -> str:
    """Human-readable destination of one signal, for status output and logs (no headers)."""
    url = signal_url(config, signal)
    if url is not None:
        return f"otlp {config.protocol} {url}"
    if signal == "traces" and traces_file is not None:
        return f"file {traces_file}"
    return "prometheus-only" if signal == "metrics" else "none"


def signal_url(config: ExportConfig, signal: str) -> str | None:
    """The URL one signal is sent to, or None when it is not sent over OTLP.

    Per-signal endpoints are used as given; the base endpoint gets `/v1/<signal>` appended
    for HTTP, as the OTLP exporter specification says. gRPC takes the base endpoint.
    """
    explicit = config.traces_endpoint if signal == "traces" else config.metrics_endpoint
    if explicit:
        return explicit
    if not config.endpoint:
        return None
    if config.protocol == "grpc":
        return config.endpoint
    return config.endpoint.rstrip("/") + f"/v1/{signal}"


def _grpc_target(url: str) -> tuple[str, bool]:
    parts = urlsplit(url)
    return (parts.netloc or url), parts.scheme != "https"


def build_span_exporter(
    config: ExportConfig, traces_file: Path | None, traces_file_max_bytes: int, meter_provider: MeterProvider
) -> SpanExporter | None:
    """The span exporter for this configuration, or None when spans go nowhere."""
    url = signal_url(config, "traces")
    headers = dict(config.headers) if config.headers is not None else None
    if url is None:
        return TracesFileExporter(traces_file, traces_file_max_bytes) if traces_file else None
    if config.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter

        target, insecure = _grpc_target(url)
        return GrpcSpanExporter(endpoint=target, insecure=insecure, headers=headers, meter_provider=meter_provider)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter

    return HttpSpanExporter(endpoint=url, headers=headers, meter_provider=meter_provider)


def build_metric_exporter(config: ExportConfig, meter_provider: MeterProvider) -> MetricExporter | None:
    """The OTLP metric exporter for this configuration, or None (metrics on `/metrics` only)."""
    url = signal_url(config, "metrics")
    if url is None:
        return None
    headers = dict(config.headers) if config.headers is not None else None
    if config.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter as GrpcMetricExporter,
        )

        target, insecure = _grpc_target(url)
        return GrpcMetricExporter(endpoint=target, insecure=insecure, headers=headers, meter_provider=meter_provider)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter

    return HttpMetricExporter(endpoint=url, headers=headers, meter_provider=meter_provider)
