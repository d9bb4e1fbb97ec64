"""One in-memory measurement: the app and a fastmcp.Client in one process, no transport.

Run by `telemetry_overhead.py` in a fresh process per round, because the OpenTelemetry
TracerProvider of a process can be set only once. Prints `{"throughput_per_s": ...}`.
Note: with telemetry on, the client's own FastMCP spans are recorded too (same process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from fastmcp import Client

import observability
from mcp_server.app import build_app, telemetry_config
from mcp_server.settings import Settings


async def measure(telemetry_on: bool, calls: int, warmup: int) -> float:
    """Calls per second of `calculate("1")` over the in-memory transport."""
    base = Path(tempfile.mkdtemp(prefix="mcp-bench-mem-"))
    (base / "root").mkdir()
    settings = Settings(
        data_dir=base / "data",
        allowed_roots=[base / "root"],
        log_level="WARNING",
        telemetry="on" if telemetry_on else "off",
    )
    telemetry = observability.setup(telemetry_config(settings))
    app = build_app(settings, telemetry)
    try:
        async with Client(app.mcp) as client:
            for _ in range(warmup):
                await client.call_tool_mcp("calculate", {"expression": "1"})
            started = time.perf_counter()
            for _ in range(calls):
                await client.call_tool_mcp("calculate", {"expression": "1"})
            elapsed = time.perf_counter() - started
    finally:
        app.services.close()
        telemetry.shutdown()
    return calls / elapsed


def main() -> None:
    """Parse arguments, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--telemetry", choices=["on", "off"], required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    throughput = asyncio.run(measure(args.telemetry == "on", args.calls, args.warmup))
    print(json.dumps({"throughput_per_s": throughput}))


if __name__ == "__main__":
    main()
