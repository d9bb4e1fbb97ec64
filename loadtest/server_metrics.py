"""The server's own view of a load test: `/metrics` read before and after, and the difference.

Server-side percentiles come from the `mcp_tool_duration_seconds` histogram: the bucket counts
of the "after" scrape minus those of the "before" scrape, interpolated within the bucket as
Prometheus' `histogram_quantile` does. They are as coarse as the histogram's boundaries.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from prometheus_client.parser import text_string_to_metric_families

_TIMEOUT_S = 10.0


@dataclass
class Snapshot:
    """The tool series of one scrape, keyed by tool name (summed over the other labels)."""

    calls: dict[tuple[str, str], float] = field(default_factory=dict)  # (tool, status) -> count
    errors: dict[tuple[str, str], float] = field(
        default_factory=dict
    )  # (tool, error type) -> count
    buckets: dict[str, dict[float, float]] = field(
        default_factory=lambda: defaultdict(dict)
    )  # tool -> le -> n
    process: dict[str, float] = field(default_factory=dict)


_PROCESS_SERIES = {
    "process_memory_usage_bytes": "rss_bytes",
    "process_open_file_descriptor_count": "open_fds",
    "process_thread_count": "threads",
}


def metrics_url_for(mcp_url: str) -> str:
    """`http://host:port/metrics` for an MCP endpoint URL on the same server."""
    parts = urlsplit(mcp_url)
    return urlunsplit((parts.scheme, parts.netloc, "/metrics", "", ""))


def fetch(url: str, token: str | None = None) -> str:
    """GET the Prometheus text (blocking; run it in a worker thread).

    Raises:
        OSError: the server cannot be reached or answers with an HTTP error.
    """
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        return response.read().decode("utf-8")


def parse(text: str) -> Snapshot:
    """The tool counters, duration buckets and process gauges of one exposition."""
    snapshot = Snapshot()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            tool = labels.get("mcp_tool_name", "")
            if sample.name == "mcp_tool_calls_total":
                key = (tool, labels.get("mcp_tool_status", ""))
                snapshot.calls[key] = snapshot.calls.get(key, 0.0) + sample.value
            elif sample.name == "mcp_tool_errors_total":
                key = (tool, labels.get("error_type", ""))
                snapshot.errors[key] = snapshot.errors.get(key, 0.0) + sample.value
            elif sample.name == "mcp_tool_duration_seconds_bucket":
                bound = float(labels["le"])
                snapshot.buckets[tool][bound] = (
                    snapshot.buckets[tool].get(bound, 0.0) + sample.value
                )
            elif sample.name in _PROCESS_SERIES:
                snapshot.process[_PROCESS_SERIES[sample.name]] = sample.value
    return snapshot


def histogram_quantile(quantile: float, cumulative: dict[float, float]) -> float | None:
    """Prometheus' `histogram_quantile` on cumulative `le -> count` buckets (seconds).

    Returns:
        The interpolated value, the highest finite bound when it falls in `+Inf`, or None
        when the histogram is empty.
    """
    bounds = sorted(cumulative)
    if not bounds or cumulative[bounds[-1]] <= 0:
        return None
    rank = quantile * cumulative[bounds[-1]]
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def _delta(after: dict[Any, float], before: dict[Any, float]) -> dict[Any, float]:
    return {
        key: value - before.get(key, 0.0)
        for key, value in after.items()
        if value - before.get(key, 0.0) > 0
    }


def _quantiles_ms(cumulative: dict[float, float]) -> dict[str, float | None]:
    result: dict[str, float | None] = {}
    for name, quantile in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        value = histogram_quantile(quantile, cumulative)
        result[name] = None if value is None else round(value * 1000.0, 3)
    return result


def compare(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """What the server counted between two scrapes: calls, errors, per-tool p50/p90/p99."""
    calls = _delta(after.calls, before.calls)
    errors = _delta(after.errors, before.errors)
    per_tool: dict[str, dict[str, Any]] = {}
    merged: dict[float, float] = defaultdict(float)
    for tool, buckets in after.buckets.items():
        delta = {
            bound: count - before.buckets.get(tool, {}).get(bound, 0.0)
            for bound, count in buckets.items()
        }
        if delta.get(math.inf, 0.0) <= 0:
            continue
        for bound, count in delta.items():
            merged[bound] += count
        tool_calls = sum(n for (name, _status), n in calls.items() if name == tool)
        tool_errors = sum(n for (name, _type), n in errors.items() if name == tool)
        per_tool[tool] = {
            "calls": int(tool_calls),
            "errors": int(tool_errors),
            "latency_ms": _quantiles_ms(delta),
        }
    error_types: dict[str, int] = defaultdict(int)
    for (_tool, error_type), count in errors.items():
        error_types[error_type] += int(count)
    return {
        "calls": int(sum(calls.values())),
        "errors": dict(error_types),
        "latency_ms": _quantiles_ms(dict(merged)),
        "per_tool": per_tool,
        "process_before": before.process,
        "process_after": after.process,
    }
