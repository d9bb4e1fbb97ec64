"""The latency histogram: percentiles within its bucket error of the exact values, bounded memory."""

from __future__ import annotations

import math
import random

import pytest

from loadtest.histogram import LatencyHistogram


def _exact_percentile(sorted_values: list[int], percentile: float) -> int:
    """Nearest-rank percentile: the smallest value with at least `percentile`% at or below it."""
    # The epsilon keeps float noise (99.9 / 100 * 20000 = 19980.000000000004) off the rank.
    rank = max(math.ceil(percentile * len(sorted_values) / 100.0 - 1e-9), 1)
    return sorted_values[rank - 1]


class TestLatencyHistogram:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_percentiles_are_within_the_bucket_error_of_the_exact_values(self, seed: int) -> None:
        """On log-normal latencies from 20 µs to minutes, p50/p90/p99/max match sorted data to 0.1%."""
        rng = random.Random(seed)
        micros = [max(1, round(rng.lognormvariate(8, 2.5))) for _ in range(20_000)]
        histogram = LatencyHistogram()
        for value in micros:
            histogram.record_seconds(value / 1_000_000)
        micros.sort()
        bound = histogram.relative_error()
        for percentile in (50.0, 90.0, 99.0, 99.9):
            exact_ms = _exact_percentile(micros, percentile) / 1000.0
            assert histogram.percentile_ms(percentile) == pytest.approx(
                exact_ms, rel=bound, abs=0.001
            )
        assert histogram.max_ms() == pytest.approx(micros[-1] / 1000.0, rel=bound, abs=0.001)
        assert histogram.count == len(micros)

    def test_summary_is_ordered(self) -> None:
        """p50 <= p90 <= p99 <= max in the summary."""
        histogram = LatencyHistogram()
        rng = random.Random(7)
        for _ in range(5000):
            histogram.record_seconds(rng.expovariate(200))
        summary = histogram.summary_ms()
        assert 0 < summary["p50"] <= summary["p90"] <= summary["p99"] <= summary["max"]

    def test_merge_adds_counts(self) -> None:
        """Merging two histograms gives the percentiles of the union."""
        low, high = LatencyHistogram(), LatencyHistogram()
        for _ in range(100):
            low.record_seconds(0.001)
            high.record_seconds(0.100)
        low.merge(high)
        assert low.count == 200
        assert low.percentile_ms(25) == pytest.approx(1.0, rel=low.relative_error())
        assert low.percentile_ms(75) == pytest.approx(100.0, rel=low.relative_error())

    def test_memory_does_not_grow_with_samples(self) -> None:
        """The counts array has a fixed length, however many values are recorded."""
        histogram = LatencyHistogram()
        size = histogram._hdr.counts_len
        for value in range(100_000):
            histogram.record_seconds(value / 10_000)
        assert histogram._hdr.counts_len == size

    def test_out_of_range_values_are_clamped_not_lost(self) -> None:
        """Zero and absurdly long latencies are still counted."""
        histogram = LatencyHistogram()
        histogram.record_seconds(0.0)
        histogram.record_seconds(1e9)
        assert histogram.count == 2
        assert histogram.max_ms() == pytest.approx(3_600_000.0, rel=histogram.relative_error())

    def test_empty_histogram_reports_zeros(self) -> None:
        """An entry that never completed a call reports zeros, not an exception."""
        assert LatencyHistogram().summary_ms() == {
            "p50": 0.0,
            "p90": 0.0,
            "p99": 0.0,
            "max": 0.0,
            "mean": 0.0,
        }
