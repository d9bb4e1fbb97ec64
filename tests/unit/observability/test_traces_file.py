"""The embedded default traces file: OTLP/JSON lines the Collector's otlpjsonfile receiver reads."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from google.protobuf.json_format import ParseDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from observability._traces_file import TracesFileExporter, spans_to_otlp_json

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

    def test_the_encoding_equals_the_sdks_protobuf_encoding(self) -> None:
        """Parsed back through the OTLP protobuf schema, each line equals the SDK's own encoder's
        output for the same spans (attributes of every type, events, links, status, trace state)."""
        provider = TracerProvider()
        recorder = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(recorder))
        tracer = provider.get_tracer("scope", "1.2", schema_url="https://example/schema")
        with tracer.start_as_current_span("root", kind=SpanKind.SERVER) as root:
            root.set_attributes({"s": "x", "i": 7, "f": 1.5, "b": True, "list": ["a", "b"], "ints": [1, 2]})
            root.add_event("evt", {"k": "v"})
            root.set_status(Status(StatusCode.ERROR, "broken"))
            link = Link(root.get_span_context(), {"why": "test"})
            with tracer.start_as_current_span("child", kind=SpanKind.CLIENT, links=[link]):
                pass
        spans = recorder.get_finished_spans()
        document = json.loads(spans_to_otlp_json(spans))
        for rs in document["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    for item in [span, *span.get("links", [])]:
                        for key in ("traceId", "spanId", "parentSpanId"):
                            if key in item:
                                item[key] = base64.b64encode(bytes.fromhex(item[key])).decode()
        assert ParseDict(document, ExportTraceServiceRequest()) == encode_spans(spans)

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
