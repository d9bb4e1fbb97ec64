"""Real OTLP receivers for tests: OTLP/HTTP (protobuf, gzip-aware) and OTLP/gRPC.

Fakes at a process boundary we cannot reach otherwise (there is no Collector on this machine):
both decode what the SDK's real exporters send with opentelemetry-proto and keep it.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class Received:
    """What a receiver got: decoded trace and metric requests, and the request headers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.trace_requests: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self.metric_requests: list[metrics_service_pb2.ExportMetricsServiceRequest] = []
        self.headers: list[dict[str, str]] = []

    def spans(self) -> list[Any]:
        """Every span received, flattened (each has `.name`, `.attributes`, ids as bytes)."""
        with self.lock:
            return [
                span
                for request in self.trace_requests
                for resource_spans in request.resource_spans
                for scope_spans in resource_spans.scope_spans
                for span in scope_spans.spans
            ]

    def resources(self) -> list[dict[str, Any]]:
        """Resource attributes of every trace batch."""
        with self.lock:
            return [
                attributes_dict(resource_spans.resource.attributes)
                for request in self.trace_requests
                for resource_spans in request.resource_spans
            ]

    def metric_names(self) -> set[str]:
        """Names of every metric received."""
        with self.lock:
            return {
                metric.name
                for request in self.metric_requests
                for resource_metrics in request.resource_metrics
                for scope_metrics in resource_metrics.scope_metrics
                for metric in scope_metrics.metrics
            }

    def metrics(self, name: str) -> list[Any]:
        """Every received metric message with that name, oldest first."""
        with self.lock:
            return [
                metric
                for request in self.metric_requests
                for resource_metrics in request.resource_metrics
                for scope_metrics in resource_metrics.scope_metrics
                for metric in scope_metrics.metrics
                if metric.name == name
            ]

    def argument_counts(self, span_name: str, argument: str) -> Counter[str]:
        """How often each value of one tool argument arrived, read from `mcp.tool.arguments`
        of the spans named `span_name` (tests give each call a unique argument value)."""
        counts: Counter[str] = Counter()
        for span in self.spans():
            if span.name == span_name:
                counts[json.loads(attributes_dict(span.attributes)["mcp.tool.arguments"])[argument]] += 1
        return counts

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 15.0) -> bool:
        """Poll until `predicate(self)` holds; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return predicate(self)


def attributes_dict(attributes: Any) -> dict[str, Any]:
    """OTLP KeyValue list -> plain dict."""
    result: dict[str, Any] = {}
    for item in attributes:
        value = item.value
        kind = value.WhichOneof("value")
        result[item.key] = getattr(value, kind) if kind else None
    return result


class _Handler(BaseHTTPRequestHandler):
    received: Received
    status: int = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self.received.lock:
            self.received.headers.append(dict(self.headers))
        if self.status != 200:
            self.send_response(self.status)
            self.end_headers()
            return
        if self.path.endswith("/v1/traces"):
            request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
            with self.received.lock:
                self.received.trace_requests.append(request)
            response = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        elif self.path.endswith("/v1/metrics"):
            request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(body)
            with self.received.lock:
                self.received.metric_requests.append(request)
            response = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(response)))
        self.end_headers()
        self.wfile.write(response)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server API
        return


class HttpOtlpReceiver:
    """OTLP/HTTP protobuf receiver on 127.0.0.1:<free port>; `endpoint` is the base URL."""

    def __init__(self) -> None:
        self.received = Received()
        handler = type("Handler", (_Handler,), {"received": self.received})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._handler = handler

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_with(self, status: int) -> None:
        """Answer every later request with this HTTP status (200 to recover)."""
        self._handler.status = status

    def __enter__(self) -> HttpOtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 - generated API
        with self.received.lock:
            self.received.trace_requests.append(request)
            self.received.headers.append(dict(context.invocation_metadata()))
        return trace_service_pb2.ExportTraceServiceResponse()


class _MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 - generated API
        with self.received.lock:
            self.received.metric_requests.append(request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


class GrpcOtlpReceiver:
    """OTLP/gRPC receiver (generated service stubs) on 127.0.0.1:<free port>."""

    def __init__(self) -> None:
        self.received = Received()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self.received), self._server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_MetricsService(self.received), self._server)
        self._port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> GrpcOtlpReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None)
