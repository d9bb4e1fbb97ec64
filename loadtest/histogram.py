"""Latency histogram with bounded memory: HdrHistogram's log-linear buckets, in microseconds.

A load test of millions of calls must not keep every latency: the `hdrhistogram` package
(a maintained Python port of HdrHistogram) keeps counts in log-linear buckets whose relative
error is fixed by the number of significant digits, whatever the number of samples.
"""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

# 1 µs .. 1 hour at 3 significant digits: relative error <= 0.1%, ~180 KiB per histogram.
_LOWEST_US = 1
_HIGHEST_US = 3_600_000_000
_SIGNIFICANT_DIGITS = 3
PERCENTILES = (50.0, 90.0, 99.0)


class LatencyHistogram:
    """Counts of latencies; percentiles are exact to `relative_error()` of the true value."""

    def __init__(self) -> None:
        self._hdr = HdrHistogram(_LOWEST_US, _HIGHEST_US, _SIGNIFICANT_DIGITS)

    @staticmethod
    def relative_error() -> float:
        """Largest relative difference between a reported and a recorded value."""
        return 10.0**-_SIGNIFICANT_DIGITS

    @property
    def count(self) -> int:
        """Number of values recorded."""
        return int(self._hdr.get_total_count())

    def record_seconds(self, seconds: float) -> None:
        """Record one latency (clamped into 1 µs .. 1 hour)."""
        micros = min(max(round(seconds * 1_000_000), _LOWEST_US), _HIGHEST_US)
        self._hdr.record_value(micros)

    def merge(self, other: LatencyHistogram) -> None:
        """Add every count of `other` to this histogram."""
        self._hdr.add(other._hdr)

    def percentile_ms(self, percentile: float) -> float:
        """Latency in milliseconds at `percentile` (0..100); 0.0 when empty."""
        if self.count == 0:
            return 0.0
        return self._hdr.get_value_at_percentile(percentile) / 1000.0

    def max_ms(self) -> float:
        """Largest recorded latency in milliseconds (within the bucket error); 0.0 when empty."""
        return self._hdr.get_max_value() / 1000.0 if self.count else 0.0

    def mean_ms(self) -> float:
        """Mean latency in milliseconds; 0.0 when empty."""
        return self._hdr.get_mean_value() / 1000.0 if self.count else 0.0

    def summary_ms(self) -> dict[str, float]:
        """`p50`, `p90`, `p99`, `max` and `mean` in milliseconds, rounded to the microsecond."""
        values = self._hdr.get_percentile_to_value_dict(list(PERCENTILES)) if self.count else {}
        summary = {f"p{int(p)}": round(values.get(p, 0) / 1000.0, 3) for p in PERCENTILES}
        summary["max"] = round(self.max_ms(), 3)
        summary["mean"] = round(self.mean_ms(), 3)
        return summary
