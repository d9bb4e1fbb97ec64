"""The embedded default trace sink (SPEC 9.6): OTLP/JSON lines in a size-rotated file.

Each line is one `ExportTraceServiceRequest` in the OTLP/JSON encoding, which the Collector's
`otlpjsonfile` receiver reads: lowerCamelCase field names, enums as integers, trace and span
ids as hex strings (not protobuf-JSON's base64). The SDK ships no file exporter for OTLP/JSON,
so this one encodes the spans itself, field for field as the SDK's protobuf encoder does.
"""

from __future__ import annotations

import base64
import json
import math
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind

# OTLP enum values (opentelemetry/proto/trace/v1/trace.proto).
_SPAN_KIND = {SpanKind.INTERNAL: 1, SpanKind.SERVER: 2, SpanKind.CLIENT: 3, SpanKind.PRODUCER: 4, SpanKind.CONSUMER: 5}
_FLAGS_HAS_IS_REMOTE = 0x100
_FLAGS_IS_REMOTE = 0x200
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _value(value: Any) -> dict[str, Any]:
    """An OTLP/JSON AnyValue; int64 as a string and bytes as base64, as proto3 JSON has them."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value if math.isfinite(value) else _NON_FINITE.get(value, "NaN")}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, Sequence):
        values = [_value(item) for item in value]
        return {"arrayValue": {"values": values} if values else {}}
    if isinstance(value, Mapping):
        pairs = _attributes(value)
        return {"kvlistValue": {"values": pairs} if pairs else {}}
    return {}


def _attributes(attributes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    pairs = []
    for key, value in (attributes or {}).items():
        pair: dict[str, Any] = {"key": str(key), "value": _value(value)} if key else {"value": _value(value)}
        pairs.append(pair)
    return pairs


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` unless `value` is a proto3 default (omitted from JSON, as the SDK's encoder does)."""
    if value:
        target[key] = value


def _flags(parent: SpanContext | None) -> int:
    return _FLAGS_HAS_IS_REMOTE | (_FLAGS_IS_REMOTE if parent is not None and parent.is_remote else 0)


def _event(event: Event) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    _put(encoded, "timeUnixNano", str(event.timestamp) if event.timestamp else None)
    _put(encoded, "name", event.name)
    _put(encoded, "attributes", _attributes(event.attributes))
    _put(encoded, "droppedAttributesCount", event.dropped_attributes)
    return encoded


def _link(link: Link) -> dict[str, Any]:
    encoded = {"traceId": format(link.context.trace_id, "032x"), "spanId": format(link.context.span_id, "016x")}
    _put(encoded, "attributes", _attributes(link.attributes))
    _put(encoded, "droppedAttributesCount", link.dropped_attributes)
    encoded["flags"] = _flags(link.context)
    return encoded


def _span(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    encoded: dict[str, Any] = {"traceId": format(context.trace_id, "032x"), "spanId": format(context.span_id, "016x")}
    if context.trace_state:
        encoded["traceState"] = ",".join(f"{key}={value}" for key, value in context.trace_state.items())
    if span.parent is not None:
        encoded["parentSpanId"] = format(span.parent.span_id, "016x")
    _put(encoded, "name", span.name)
    encoded["kind"] = _SPAN_KIND[span.kind]
    _put(encoded, "startTimeUnixNano", str(span.start_time) if span.start_time else None)
    _put(encoded, "endTimeUnixNano", str(span.end_time) if span.end_time else None)
    _put(encoded, "attributes", _attributes(span.attributes))
    _put(encoded, "droppedAttributesCount", span.dropped_attributes)
    _put(encoded, "events", [_event(event) for event in span.events])
    _put(encoded, "droppedEventsCount", span.dropped_events)
    _put(encoded, "links", [_link(link) for link in span.links])
    _put(encoded, "droppedLinksCount", span.dropped_links)
    status: dict[str, Any] = {}
    _put(status, "message", span.status.description)
    _put(status, "code", span.status.status_code.value)
    encoded["status"] = status
    encoded["flags"] = _flags(span.parent)
    return encoded


def _scope(scope: InstrumentationScope | None) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    if scope is not None:
        _put(encoded, "name", scope.name)
        _put(encoded, "version", scope.version)
        _put(encoded, "attributes", _attributes(scope.attributes))
    return encoded


def spans_to_otlp_json(spans: Sequence[ReadableSpan]) -> str:
    """Encode spans as one OTLP/JSON `ExportTraceServiceRequest` line (no newline).

    Built directly from the spans rather than through the SDK's protobuf encoder and
    `MessageToDict`: that path cost about 80 µs a span on the export thread, which competes
    with tool calls for the GIL (bench/README.md). The output is the same document
    (checked against the protobuf path in tests/unit/observability/test_traces_file.py).
    """
    grouped: dict[Resource, dict[InstrumentationScope | None, list[dict[str, Any]]]] = {}
    for span in spans:
        scopes = grouped.setdefault(span.resource, {})
        scopes.setdefault(span.instrumentation_scope or None, []).append(_span(span))
    resource_spans = []
    for resource, scopes in grouped.items():
        scope_spans = []
        for scope, encoded in scopes.items():
            entry: dict[str, Any] = {"scope": _scope(scope), "spans": encoded}
            _put(entry, "schemaUrl", scope.schema_url if scope is not None else None)
            scope_spans.append(entry)
        resource_entry: dict[str, Any] = {"resource": {}, "scopeSpans": scope_spans}
        _put(resource_entry["resource"], "attributes", _attributes(resource.attributes))
        _put(resource_entry, "schemaUrl", resource.schema_url)
        resource_spans.append(resource_entry)
    return json.dumps({"resourceSpans": resource_spans}, separators=(",", ":"))


class TracesFileExporter(SpanExporter):
    """Append spans as OTLP/JSON lines to a file, rotating it at `max_bytes`.

    One backup is kept (`<file>.1`), as the Collector's file receiver only needs the live
    file and operators want bounded disk use.

    Args:
        path: the traces file; its directory is created if missing.
        max_bytes: rotate when the file would grow past this size.
    """

    def __init__(self, path: Path, max_bytes: int = 50 * 1_048_576) -> None:
        self._path = Path(path)
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> Path:
        """Where the spans are written."""
        return self._path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write one line for this batch; a full disk is a failed export, never an exception."""
        if not spans:
            return SpanExportResult.SUCCESS
        line = (spans_to_otlp_json(spans) + "\n").encode()
        try:
            with self._lock:
                self._rotate_if_needed(len(line))
                fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = self._path.stat().st_size
        except FileNotFoundError:
            return
        if size + incoming > self._max_bytes:
            os.replace(self._path, self._path.with_name(self._path.name + ".1"))

    def shutdown(self) -> None:
        """Nothing is held open between exports."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Every export is written before it returns."""
        return True
