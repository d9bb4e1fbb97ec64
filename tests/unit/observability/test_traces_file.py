"""The traces file's OTLP/JSON encoder produces what the SDK's protobuf encoder would, ids in hex."""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState
from opentelemetry.trace import set_span_in_context

from observability._traces_file import spans_to_otlp_json

_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId"})


def _reference(spans: Any) -> dict[str, Any]:
    """The SDK's protobuf encoding as proto3 JSON, with the ids turned to hex as OTLP/JSON wants."""

    def hex_ids(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: base64.b64decode(v).hex() if k in _ID_KEYS else hex_ids(v) for k, v in node.items()}
        if isinstance(node, list):
            return [hex_ids(item) for item in node]
        return node

    return hex_ids(MessageToDict(encode_spans(spans), use_integers_for_enums=True))


def _spans() -> Any:
    """Spans with every kind of field: all attribute types, events, links, statuses, remote parent."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "svc", "n": 3}, schema_url="https://schema/1"))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("scope.a", "1.2.3", schema_url="https://scope/1", attributes={"scope.attr": True})
    other = provider.get_tracer("scope.b")
    remote = SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(1), trace_state=TraceState([("k", "v")]))
    values = {
        "s": "text", "empty": "", "i": -42, "zero": 0, "big": 2**62, "f": 1.5, "whole": 2.0, "nan": float("nan"),
        "inf": float("inf"), "b": False, "t": True, "strs": ["a", "b"], "ints": [1, 2], "none_list": [],
    }
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER, context=set_span_in_context(NonRecordingSpan(remote))) as root:
        root.set_attributes(values)
        root.add_event("evt", {"x": 1})
        root.add_event("bare")
        with tracer.start_as_current_span("child", links=[Link(remote, {"l": "1"}), Link(remote)]) as child:
            child.set_status(Status(StatusCode.ERROR, "broken"))
            try:
                raise ValueError("boom")
            except ValueError as exc:
                child.record_exception(exc)
        with other.start_as_current_span("client", kind=SpanKind.CLIENT) as client:
            client.set_status(Status(StatusCode.OK))
    for kind in (SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL):
        tracer.start_span(f"k{kind.value}", kind=kind).end()
    return exporter.get_finished_spans()


class TestSpansToOtlpJson:
    def test_matches_the_sdk_protobuf_encoding(self) -> None:
        """Field for field, the document equals MessageToDict(encode_spans(...)) with hex ids."""
        spans = _spans()
        ours = json.loads(spans_to_otlp_json(spans))
        reference = json.loads(json.dumps(_reference(spans)))
        assert ours == reference

    def test_ids_are_hex_and_nanoseconds_are_strings(self) -> None:
        """traceId is 32 hex digits, spanId 16, times are decimal strings (OTLP/JSON)."""
        document = json.loads(spans_to_otlp_json(_spans()))
        spans = [span for scope in document["resourceSpans"][0]["scopeSpans"] for span in scope["spans"]]
        (span,) = [span for span in spans if span["name"] == "root"]
        assert len(span["traceId"]) == 32 and int(span["traceId"], 16) == 0xABC
        assert len(span["spanId"]) == 16 and span["parentSpanId"] == format(0xDEF, "016x")
        assert span["startTimeUnixNano"].isdigit()

    def test_one_line_per_batch(self) -> None:
        """The encoding has no newline: one batch is one line of the file."""
        assert "\n" not in spans_to_otlp_json(_spans())
