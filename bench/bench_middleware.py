"""Cost of the telemetry middleware per tool call, in-process (SPEC section 12, DEVELOPERS "Speed").

Two servers built from the same settings, one with telemetry on and one with
`MCP_SERVER_TELEMETRY=off`, each driven by an in-memory fastmcp.Client calling `calculate("1")`.
Rounds are interleaved (on, off, on, off, ...) in one process so machine noise hits both alike;
the figure is the difference of the per-round medians, reported as a median over rounds.

Run: .venv/bin/python bench/bench_middleware.py [--rounds 15] [--calls 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastmcp import Client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp_server import __version__  # noqa: E402
from mcp_server.app import build_app, telemetry_config  # noqa: E402
from mcp_server.settings import Settings  # noqa: E402
import observability  # noqa: E402


async def _round(client: Client, calls: int) -> float:
    """Median seconds per call over `calls` sequential calls."""
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await client.call_tool_mcp("calculate", {"expression": "1"})
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def main(rounds: int, calls: int) -> dict[str, object]:
    data = Path(tempfile.mkdtemp())
    base = {"data_dir": data, "allowed_roots": [data], "log_level": "WARNING", "tools": ["utility"]}
    on_settings = Settings(**base, telemetry="on")
    off_settings = Settings(**base, telemetry="off")
    # One telemetry runtime per process: build the "off" app against a disabled runtime first,
    # then set up the enabled one; each app keeps the runtime it was built with.
    off_app = build_app(off_settings, observability.setup(telemetry_config(off_settings)))
    on_app = build_app(on_settings, observability.setup(telemetry_config(on_settings)))
    results: dict[str, list[float]] = {"on": [], "off": []}
    async with Client(on_app.mcp) as on_client, Client(off_app.mcp) as off_client:
        for client in (on_client, off_client):
            await _round(client, 50)  # warm-up
        for _ in range(rounds):
            results["on"].append(await _round(on_client, calls))
            results["off"].append(await _round(off_client, calls))
    deltas = [on - off for on, off in zip(results["on"], results["off"], strict=True)]
    report = {
        "benchmark": "middleware_cost_in_memory",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": __import__("os").cpu_count()},
        "versions": {"mcp-observatory": __version__},
        "rounds": rounds,
        "calls_per_round": calls,
        "median_call_us_telemetry_on": round(statistics.median(results["on"]) * 1e6, 1),
        "median_call_us_telemetry_off": round(statistics.median(results["off"]) * 1e6, 1),
        "median_middleware_cost_us": round(statistics.median(deltas) * 1e6, 1),
        "overhead_percent": round(100 * statistics.median(deltas) / statistics.median(results["off"]), 1),
    }
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "middleware_cost.json")
    args = parser.parse_args()
    report = asyncio.run(main(args.rounds, args.calls))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
