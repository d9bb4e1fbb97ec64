"""Reading the server's own view from /metrics: parsing, deltas and histogram quantiles."""

from __future__ import annotations

import math

import pytest
from prometheus_client import generate_latest

from loadtest.server_metrics import compare, histogram_quantile, metrics_url_for, parse
from mcp_server.app import telemetry_config
from mcp_server.settings import Settings
from observability.testing import setup_for_tests


class TestHistogramQuantile:
    def test_interpolates_within_the_bucket_like_prometheus(self) -> None:
        """10 calls under 1 ms and 10 between 1 and 2 ms: p50 = 1 ms, p75 = 1.5 ms."""
        buckets = {0.001: 10.0, 0.002: 20.0, math.inf: 20.0}
        assert histogram_quantile(0.5, buckets) == pytest.approx(0.001)
        assert histogram_quantile(0.75, buckets) == pytest.approx(0.0015)
        assert histogram_quantile(0.25, buckets) == pytest.approx(0.0005)

    def test_the_inf_bucket_reports_the_highest_finite_bound(self) -> None:
        """When the quantile falls past every finite bound, the last bound is the answer."""
        assert histogram_quantile(0.99, {0.5: 1.0, math.inf: 100.0}) == 0.5

    def test_empty_histogram_has_no_quantile(self) -> None:
        """No observations: None, not zero."""
        assert histogram_quantile(0.5, {0.1: 0.0, math.inf: 0.0}) is None
        assert histogram_quantile(0.5, {}) is None


class TestCompare:
    def test_deltas_of_a_real_exposition(self, settings: Settings) -> None:
        """Calls, errors and duration recorded between two scrapes of the real registry are what compare reports."""
        telemetry, _ = setup_for_tests(telemetry_config(settings))
        instruments = telemetry.instruments
        instruments.tool_calls.add(5, {"mcp.tool.name": "calculate", "mcp.tool.status": "success"})
        instruments.tool_duration.record(
            0.3, {"mcp.tool.name": "calculate", "mcp.tool.status": "success"}
        )
        before = parse(generate_latest(telemetry.registry).decode())
        for duration in (0.0007, 0.0008, 0.0009, 0.0015):
            instruments.tool_duration.record(
                duration, {"mcp.tool.name": "calculate", "mcp.tool.status": "success"}
            )
        instruments.tool_calls.add(4, {"mcp.tool.name": "calculate", "mcp.tool.status": "success"})
        instruments.tool_calls.add(1, {"mcp.tool.name": "calculate", "mcp.tool.status": "error"})
        instruments.tool_errors.add(
            1, {"mcp.tool.name": "calculate", "error.type": "invalid_arguments"}
        )
        instruments.tool_duration.record(
            0.0004, {"mcp.tool.name": "calculate", "mcp.tool.status": "error"}
        )
        after = parse(generate_latest(telemetry.registry).decode())
        view = compare(before, after)
        assert view["calls"] == 5
        assert view["errors"] == {"invalid_arguments": 1}
        calculate = view["per_tool"]["calculate"]
        assert calculate["calls"] == 5 and calculate["errors"] == 1
        # Synthetic, recorded values (not timings): 5 new observations, 0.4 ms, 3 in (0.5, 1] ms
        # and 1 in (1, 2] ms (the 300 ms one is before), so each percentile is in its bucket.
        percentiles = calculate["latency_ms"]
        assert 0.5 <= percentiles["p50"] <= 1.0
        assert 1.0 <= percentiles["p99"] <= 2.0
        assert view["latency_ms"] == calculate["latency_ms"]


def test_metrics_url_is_beside_the_mcp_endpoint() -> None:
    """`http://h:1/mcp` has its metrics at `http://h:1/metrics`."""
    assert metrics_url_for("http://127.0.0.1:8000/mcp") == "http://127.0.0.1:8000/metrics"
