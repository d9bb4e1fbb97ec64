"""Benchmark 6: 64 concurrent sessions of mixed tools for 60 s: errors, RSS and open fds over time.

The load generator's default mix (tools the server lacks are dropped and named) runs from 64
handshake-era sessions over streamable HTTP after a warm-up; the server process is sampled
every second (psutil). Target (SPEC 12): no unexpected error (the default mix has none
expected), no leaked process or file descriptor once the sessions are closed, RSS flat after
warm-up (less than 10% between the first and the last ten seconds of the measured run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from harness import load, our_server, write_result
from sampler import ProcessSampler

from loadtest.connection import Target
from loadtest.mix import DEFAULT_MIX

RSS_FLAT_PERCENT = 10.0
_SETTLE_S = 3.0
# anyio keeps up to 40 idle worker threads (its default limiter) for blocking tool work; a pool
# that stays within its bound is not a leak.
WORKER_POOL_THREADS = 40


def _window_median(samples: list[dict[str, float]], start: float, end: float) -> float:
    values = [s["rss_bytes"] for s in samples if start <= s["t_s"] <= end]
    return statistics.median(values) if values else 0.0


def _analyse(
    samples: list[dict[str, float]],
    baseline: dict[str, float],
    after: dict[str, float],
    measured_from: float,
) -> dict[str, Any]:
    measured = [s for s in samples if s["t_s"] >= measured_from]
    end = measured[-1]["t_s"] if measured else measured_from
    first = _window_median(samples, measured_from, measured_from + 10)
    last = _window_median(samples, end - 10, end)
    growth = (last - first) / first * 100.0 if first else 0.0
    slope = (
        statistics.linear_regression(
            [s["t_s"] for s in measured], [s["rss_bytes"] / 2**20 for s in measured]
        ).slope
        * 60
        if len(measured) > 2
        else 0.0
    )
    return {
        "rss_first_10s_mib": round(first / 2**20, 1),
        "rss_last_10s_mib": round(last / 2**20, 1),
        "rss_growth_percent": round(growth, 2),
        "rss_slope_mib_per_min": round(slope, 2),
        "fds_before": baseline["open_fds"],
        "fds_after": after["open_fds"],
        "fds_peak": max(s["open_fds"] for s in samples),
        "children_before": baseline["children"],
        "children_after": after["children"],
        "threads_before": baseline["threads"],
        "threads_after": after["threads"],
    }


def run(sessions: int, seconds: float, warmup_s: float, protocol: str) -> dict[str, Any]:
    """Run the soak with the server sampled; return the result document."""
    with our_server() as server, ProcessSampler(server.pid, 1.0) as sampler:
        baseline = sampler.sample()
        report = load(
            Target(url=server.url, protocol=protocol),
            mix=DEFAULT_MIX,
            args={},
            sessions=sessions,
            seconds=seconds,
            warmup_s=warmup_s,
            metrics_url=server.url.removesuffix("/mcp") + "/metrics",
            strict_mix=False,
        )
        measured_from = sampler.elapsed_s() - report["duration_s"]
        # Closed sessions release their sockets and tasks asynchronously: give them a moment.
        time.sleep(_SETTLE_S)
        after = sampler.sample()
    analysis = _analyse(sampler.samples, baseline, after, measured_from)
    met = {
        "no_unexpected_error": not report["errors"],
        "no_leaked_process": analysis["children_after"] <= analysis["children_before"],
        "no_leaked_fd": analysis["fds_after"] <= analysis["fds_before"],
        "no_leaked_thread": analysis["threads_after"] <= analysis["threads_before"] + WORKER_POOL_THREADS,
        "rss_flat": analysis["rss_growth_percent"] < RSS_FLAT_PERCENT,
    }
    return {
        "what": f"{sessions} sessions ({protocol} era), default mix, {seconds:g} s after {warmup_s:g} s warm-up, HTTP",
        "parameters": {
            "sessions": sessions,
            "seconds": seconds,
            "warmup_s": warmup_s,
            "protocol": protocol,
        },
        "loadtest": {
            k: report[k] for k in ("calls", "errors", "throughput_per_s", "latency_ms", "notes")
        },
        "per_tool": {
            name: {k: v for k, v in entry.items() if k in ("calls", "errors", "latency_ms")}
            for name, entry in report["per_tool"].items()
        },
        "server_view": {k: report["server"].get(k) for k in ("calls", "errors", "latency_ms")},
        "analysis": analysis,
        "samples": sampler.samples,
        "met": met,
    }


def main() -> None:
    """Parse sizes, run, write bench/results/soak.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--protocol", choices=["auto", "legacy"], default="legacy")
    parser.add_argument("--name", default="soak")
    args = parser.parse_args()
    result = run(args.sessions, args.seconds, args.warmup, args.protocol)
    write_result(args.name, result)
    print(
        json.dumps(
            {
                "met": result["met"],
                "analysis": result["analysis"],
                "errors": result["loadtest"]["errors"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
