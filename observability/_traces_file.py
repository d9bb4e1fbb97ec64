"""The embedded default trace sink (SPEC 9.6): OTLP/JSON lines in a size-rotated file.

Each line is one `ExportTraceServiceRequest` in the OTLP/JSON encoding, which the Collector's
`otlpjsonfile` receiver reads: lowerCamelCase field names, enums as integers, trace and span
ids as hex strings (not protobuf-JSON's base64). The SDK ships no file exporter for OTLP/JSON,
so this one encodes with the SDK's own protobuf encoder and rewrites the id fields.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId"})


def _hex_ids(node: Any) -> Any:
    """Replace base64 id fields with the hex form OTLP/JSON requires, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)
    return node


def spans_to_otlp_json(spans: Sequence[ReadableSpan]) -> str:
    """Encode spans as one OTLP/JSON `ExportTraceServiceRequest` line (no newline)."""
    message = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    return json.dumps(_hex_ids(message), separators=(",", ":"))


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
