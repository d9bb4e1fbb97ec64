"""The embedded default traces file: OTLP/JSON lines the Collector's otlpjsonfile receiver reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from google.protobuf.json_format import ParseDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from observability._traces_file import TracesFileExporter

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


def _spans(path: Path, count: int = 2) -> TracesFileExporter:
    exporter = TracesFileExporter(path, max_bytes=4096)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    for i in range(count):
        with tracer.start_as_current_span("parent"), tracer.start_as_current_span(f"child-{i}") as child:
            child.set_attribute("n", i)
    return exporter


class TestTracesFile:
    def test_each_line_is_an_otlp_json_request_with_hex_ids(self, tmp_path: Path) -> None:
        """Lines parse as ExportTraceServiceRequest; trace and span ids are lowercase hex."""
        path = tmp_path / "traces.jsonl"
        _spans(path)
        lines = path.read_text().splitlines()
        assert lines
        for line in lines:
            document = json.loads(line)
            for resource_spans in document["resourceSpans"]:
                for scope_spans in resource_spans["scopeSpans"]:
                    for span in scope_spans["spans"]:
                        assert _HEX32.match(span["traceId"])
                        assert _HEX16.match(span["spanId"])
                        if "parentSpanId" in span:
                            assert _HEX16.match(span["parentSpanId"])
                        assert isinstance(span["kind"], int)
        children = [
            span
            for line in lines
            for rs in json.loads(line)["resourceSpans"]
            for ss in rs["scopeSpans"]
            for span in ss["spans"]
            if span["name"].startswith("child")
        ]
        assert all("parentSpanId" in child for child in children)

    def test_lines_are_valid_protobuf_json_once_ids_are_converted(self, tmp_path: Path) -> None:
        """The document maps onto the OTLP protobuf schema (names, enums, attributes)."""
        path = tmp_path / "traces.jsonl"
        _spans(path, count=1)
        document = json.loads(path.read_text().splitlines()[0])
        for rs in document["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in span:
                            import base64

                            span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
        request = ParseDict(document, ExportTraceServiceRequest())
        assert request.resource_spans[0].scope_spans[0].spans[0].name

    def test_the_file_rotates_at_its_size_limit(self, tmp_path: Path) -> None:
        """Past max_bytes the file moves to .1 and a new one starts; disk use stays bounded."""
        path = tmp_path / "traces.jsonl"
        _spans(path, count=40)
        assert path.with_name("traces.jsonl.1").exists()
        assert path.stat().st_size <= 4096

    def test_an_unwritable_file_is_a_failed_export_not_an_exception(self, tmp_path: Path) -> None:
        """A directory where the file should be makes export return FAILURE."""
        path = tmp_path / "traces.jsonl"
        exporter = TracesFileExporter(path)
        path.mkdir()
        provider = TracerProvider()
        with provider.get_tracer("t").start_as_current_span("s") as span:
            pass
        assert exporter.export([span]) is SpanExportResult.FAILURE
