"""Process and system gauges from psutil, through the OpenTelemetry system-metrics instrumentation.

The instrumentation reads psutil in observable callbacks at collection time (a scrape or a
push), so there is no background sampling thread of our own.
"""

from __future__ import annotations

from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
from opentelemetry.metrics import MeterProvider

# A small, dashboard-relevant subset: the full default set is ~40 series per scrape.
SYSTEM_METRICS_CONFIG: dict[str, list[str] | None] = {
    "process.cpu.utilization": None,
    "process.cpu.time": ["user", "system"],
    "process.memory.usage": None,
    "process.memory.virtual": None,
    "process.open_file_descriptor.count": None,
    "process.thread.count": None,
    "system.cpu.utilization": ["idle", "user", "system", "iowait"],
    "system.memory.usage": ["used", "free", "cached"],
    "system.memory.utilization": ["used", "free", "cached"],
    "system.network.io": ["transmit", "receive"],
    "system.disk.io": ["read", "write"],
}


def instrument_system_metrics(meter_provider: MeterProvider) -> SystemMetricsInstrumentor:
    """Register the psutil gauges on `meter_provider`, the latest one set up in the process.

    The instrumentor is a process-wide singleton that instruments once; a later set-up (each
    test's telemetry, with its own registry) would otherwise get no process gauges at all.
    Its `uninstrument` removes nothing, so re-instrumenting only binds the gauges to the new
    provider as well.
    """
    instrumentor = SystemMetricsInstrumentor(config=SYSTEM_METRICS_CONFIG)
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument(meter_provider=meter_provider)
    return instrumentor
