"""Benchmark 1: full telemetry against MCP_SERVER_TELEMETRY=off, no-op tool, interleaved.

Over streamable HTTP with 1 and 8 clients (two servers running side by side, measured in
turn), and in-memory (a fresh process per round). Target (SPEC 12): at most 5% lost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from harness import (
    BENCH_DIR,
    compare_servers,
    interleave,
    our_server,
    overhead,
    round_parser,
    source_env,
    summarize,
    write_result,
)

TARGET_PERCENT = 5.0
# Not the SPEC's configuration: what an operator can trade for speed with standard settings
# (1 trace in 10 kept, no per-call log line); measured beside it for the README.
LEAN_ENV = {
    "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
    "OTEL_TRACES_SAMPLER_ARG": "0.1",
    "MCP_SERVER_LOG_LEVEL": "WARNING",
}


def _in_memory(rounds: int, calls: int) -> dict[str, Any]:
    def measure(telemetry: str) -> float:
        command = [
            sys.executable,
            str(BENCH_DIR / "inmemory_worker.py"),
            "--telemetry",
            telemetry,
            "--calls",
            str(calls),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True, env=source_env())
        return float(json.loads(done.stdout.strip().splitlines()[-1])["throughput_per_s"])

    print("in-memory:", file=sys.stderr)
    return summarize(
        interleave(
            rounds, {"telemetry_on": lambda: measure("on"), "telemetry_off": lambda: measure("off")}
        )
    )


def run(rounds: int, seconds: float, warmup_s: float, memory_calls: int) -> dict[str, Any]:
    """Measure and return the result document."""
    with (
        our_server() as on,
        our_server({"MCP_SERVER_TELEMETRY": "off"}) as off,
        our_server(LEAN_ENV) as lean,
    ):
        servers = {"telemetry_on": on, "telemetry_off": off, "telemetry_on_lean": lean}
        http = compare_servers(servers, (1, 8), rounds, seconds, warmup_s)
    results = {f"http, {name}": figures for name, figures in http.items()}
    results["in-memory"] = {"throughput_per_s": _in_memory(rounds, memory_calls)}
    overheads = {
        name: overhead(
            f["throughput_per_s"]["telemetry_off"]["median"],
            f["throughput_per_s"]["telemetry_on"]["median"],
        )
        for name, f in results.items()
    }
    lean = {
        name: overhead(
            f["throughput_per_s"]["telemetry_off"]["median"],
            f["throughput_per_s"]["telemetry_on_lean"]["median"],
        )
        for name, f in results.items()
        if "telemetry_on_lean" in f["throughput_per_s"]
    }
    cpu_added = {
        name: round(
            f["server_cpu_us_per_call"]["telemetry_on"]["median"]
            - f["server_cpu_us_per_call"]["telemetry_off"]["median"],
            1,
        )
        for name, f in results.items()
        if "server_cpu_us_per_call" in f
    }
    return {
        "what": "no-op tool (calculate '1'), telemetry on (embedded default: /metrics, traces file, INFO log) vs off",
        "parameters": {
            "rounds": rounds,
            "seconds_per_round": seconds,
            "warmup_s": warmup_s,
            "in_memory_calls": memory_calls,
        },
        "results": results,
        "overhead_percent": overheads,
        "lean_settings": LEAN_ENV,
        "lean_overhead_percent": lean,
        "server_cpu_us_added_per_call": cpu_added,
        "target_percent": TARGET_PERCENT,
        "met": {name: value <= TARGET_PERCENT for name, value in overheads.items()},
    }


def main() -> None:
    """Parse sizes, run, write bench/results/telemetry_overhead.json."""
    parser = round_parser(__doc__, rounds=5, seconds=5.0, name="telemetry_overhead")
    parser.add_argument("--memory-calls", type=int, default=3000)
    args = parser.parse_args()
    result = run(args.rounds, args.seconds, args.warmup, args.memory_calls)
    write_result(args.name, result)
    print(
        json.dumps(
            {k: result[k] for k in ("overhead_percent", "server_cpu_us_added_per_call")}, indent=2
        )
    )


if __name__ == "__main__":
    main()
