"""The psutil process gauges follow the telemetry set up last, not only the first of the process."""

from __future__ import annotations

from observability.testing import metric_samples, setup_for_tests


class TestProcessGauges:
    def test_a_later_setup_exposes_the_process_gauges_too(self) -> None:
        """After a second set-up (which replaces the first), its registry serves process memory."""
        setup_for_tests()
        telemetry, _ = setup_for_tests()
        (sample,) = metric_samples(telemetry, "process_memory_usage_bytes")
        assert sample[1] > 0
