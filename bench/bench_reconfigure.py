"""Tool-call latency while the OTLP endpoint is healthy, down, black-holed, or being switched.

SPEC 9.5/9.7: a down or slow endpoint never slows a tool call, and a switch fails none. This
runs the real app in-process (FastMCP in-memory client, real exporters, real OTLP receivers)
and times `calculate` calls, interleaving the scenarios round by round so drift on the
machine affects them alike. It also times the switches themselves.

Run: `.venv/bin/python bench/bench_reconfigure.py [--calls 500] [--rounds 3]`
Writes `bench/results/reconfigure.json`. Not a test: no thresholds here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastmcp import Client  # noqa: E402

from mcp_server.app import build_app, telemetry_config  # noqa: E402
from mcp_server.settings import Settings  # noqa: E402
from observability import Telemetry, apply_telemetry_update  # noqa: E402
from observability.testing import setup_for_tests  # noqa: E402
from tests.helpers.dead_endpoints import BlackHoleListener, closed_port_endpoint  # noqa: E402
from tests.helpers.otlp_receiver import HttpOtlpReceiver  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "reconfigure.json"


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": ordered[-1], "mean": statistics.fmean(ordered)}


async def _time_calls(client: Client, calls: int, errors: list[Any]) -> list[float]:
    samples = []
    for n in range(calls):
        start = time.perf_counter()
        result = await client.call_tool_mcp("calculate", {"expression": f"{n}*2"})
        samples.append((time.perf_counter() - start) * 1000)
        if result.is_error:
            errors.append(result.content)
    return samples


def _switch(telemetry: Telemetry, endpoint: str | None) -> float:
    start = time.perf_counter()
    apply_telemetry_update(telemetry, {"endpoint": endpoint}, "bench")
    return (time.perf_counter() - start) * 1000


def _keep_switching(telemetry: Telemetry, endpoints: list[str], stop: threading.Event, count: list[int]) -> None:
    while not stop.is_set():
        _switch(telemetry, endpoints[count[0] % 2])
        count[0] += 1


async def _run(calls: int, rounds: int) -> dict[str, Any]:
    with HttpOtlpReceiver() as a, HttpOtlpReceiver() as b, BlackHoleListener() as hole, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", allowed_roots=[Path(tmp)], otlp_endpoint=a.endpoint)
        telemetry, _ = setup_for_tests(telemetry_config(settings))
        app = build_app(settings, telemetry)
        scenarios: dict[str, Callable[[], str]] = {
            "healthy": lambda: a.endpoint,
            "closed_port": closed_port_endpoint,
            "black_hole": lambda: hole.endpoint,
        }
        latency: dict[str, list[float]] = {name: [] for name in [*scenarios, "switching"]}
        switch_ms: dict[str, list[float]] = {f"to_{name}": [] for name in scenarios}
        switch_ms["away_from_black_hole"] = []
        errors: list[Any] = []
        switches = [0]
        async with Client(app.mcp) as client:
            await _time_calls(client, 200, errors)  # warm-up
            for _ in range(rounds):
                for name, endpoint in scenarios.items():
                    switch_ms[f"to_{name}"].append(await asyncio.to_thread(_switch, telemetry, endpoint()))
                    latency[name] += await _time_calls(client, calls, errors)
                switch_ms["away_from_black_hole"].append(await asyncio.to_thread(_switch, telemetry, a.endpoint))
                stop = threading.Event()
                switcher = threading.Thread(target=_keep_switching, args=(telemetry, [b.endpoint, a.endpoint], stop, switches))
                switcher.start()
                latency["switching"] += await _time_calls(client, calls, errors)
                stop.set()
                await asyncio.to_thread(switcher.join)
        health = telemetry.status()
        app.services.close()
        telemetry.shutdown(timeout_millis=2_000)
    return {
        "calls_per_scenario": calls * rounds,
        "rounds": rounds,
        "tool_errors": len(errors),
        "latency_ms": {name: _percentiles(samples) for name, samples in latency.items()},
        "switch_ms": {name: _percentiles(samples) for name, samples in switch_ms.items() if samples},
        "switches_during_switching_scenario": switches[0],
        "traces_health_at_end": health["traces"],
    }


def main() -> None:
    """Run the scenarios and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="timed calls per scenario per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(_run(args.calls, args.rounds))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'scenario':<14} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}", file=sys.stderr)
    for name, stats in result["latency_ms"].items():
        print(f"{name:<14} {stats['p50']:>8.3f} {stats['p90']:>8.3f} {stats['p99']:>8.3f} {stats['max']:>8.3f}", file=sys.stderr)
    for name, stats in result["switch_ms"].items():
        print(f"switch {name:<22} p50 {stats['p50']:.1f} ms, max {stats['max']:.1f} ms", file=sys.stderr)
    print(f"tool errors: {result['tool_errors']}; results in {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
