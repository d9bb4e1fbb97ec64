"""The psutil process gauges reach every telemetry set-up, not only the first of the process."""

from __future__ import annotations

from observability.testing import metric_samples, setup_for_tests


class TestProcessGauges:
    def test_a_later_setup_exposes_the_process_gauges_too(self) -> None:
        """Two set-ups in one process (as in tests): both registries serve process memory."""
        first, _ = setup_for_tests()
        second, _ = setup_for_tests()
        for telemetry in (first, second):
            (sample,) = metric_samples(telemetry, "process_memory_usage_bytes")
            assert sample[1] > 0
