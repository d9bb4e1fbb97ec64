"""execute_command of `true` against a bare FastMCP tool that spawns the same process (SPEC 12).

Target: our execute_command within 1.5x of the bare tool's latency. Both servers run as stdio
subprocesses driven by the same `fastmcp.Client`, one call at a time, in interleaved rounds
(each round runs every variant once, in rotating order, so machine drift hits all alike); the
figure per variant is the median over rounds of the per-round median latency.

Variants:
- `bare`: FastMCP's own tool running `asyncio.create_subprocess_exec(*argv)` and `communicate()`,
  no policy, no limits, no envelope, no telemetry: the floor.
- `bare_shell`: the same through `create_subprocess_shell` (bash-free `/bin/sh -c`).
- `direct_argv`: execute_command(["true"]) with MCP_SERVER_EXECUTION=direct (the SPEC 12 pair).
- `direct_shell`: execute_command("true"): bashlex policy check, then bash.
- `sandbox_argv`: execute_command(["true"]) under bubblewrap (when it works; informational).
- `bare_noop`, `ours_noop` (calculate "1"), `direct_argv_telemetry_off`: to split the gap into the
  server's per-call cost, telemetry, and the spawn path itself.

Usage:
    .venv/bin/python bench/bench_spawn.py [--rounds 7] [--calls 200]

Writes `bench/results/bench_spawn.json` (machine, versions, exact command, rounds, medians).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport

RESULTS = Path(__file__).parent / "results" / "bench_spawn.json"
BARE_SERVER = """
import asyncio
from fastmcp import FastMCP

mcp = FastMCP("bare")


@mcp.tool
async def spawn(argv: list[str]) -> dict:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    return {"exit_code": process.returncode, "stdout": stdout.decode(), "stderr": stderr.decode()}


@mcp.tool
async def noop() -> dict:
    return {}


@mcp.tool
async def spawn_shell(command: str) -> dict:
    process = await asyncio.create_subprocess_shell(
        command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    return {"exit_code": process.returncode, "stdout": stdout.decode(), "stderr": stderr.decode()}


mcp.run(transport="stdio", show_banner=False)
"""


@dataclass
class Variant:
    """One server configuration and the call it makes."""

    name: str
    transport: StdioTransport
    tool: str
    arguments: dict[str, Any]


def our_transport(
    root: Path, state: Path, log: Path, execution: str, telemetry: str = "on"
) -> StdioTransport:
    """Our server over stdio with default settings, the given execution strategy, logs to a file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MCP_SERVER_", "OTEL_"))
    }
    env.update(
        {
            "MCP_SERVER_ALLOWED_ROOTS": str(root),
            "MCP_SERVER_DATA_DIR": str(state),
            "MCP_SERVER_EXECUTION": execution,
            "MCP_SERVER_TELEMETRY": telemetry,
        }
    )
    return StdioTransport(
        sys.executable, ["-m", "mcp_server", "serve", "--transport", "stdio"], env=env, log_file=log
    )


async def measure(client: Client, variant: Variant, calls: int) -> float:
    """Median latency (ms) of `calls` sequential calls."""
    latencies = []
    for _ in range(calls):
        before = time.perf_counter()
        result = await client.call_tool_mcp(variant.tool, variant.arguments)
        latencies.append(time.perf_counter() - before)
        if result.is_error:
            message = f"{variant.name} failed: {result.content}"
            raise RuntimeError(message)
    return statistics.median(latencies) * 1000


async def run(variants: list[Variant], rounds: int, calls: int) -> dict[str, list[float]]:
    """Connect every variant once, warm up, then interleave the measured rounds."""
    results: dict[str, list[float]] = {variant.name: [] for variant in variants}
    clients = [Client(variant.transport) for variant in variants]
    for client in clients:
        await client.__aenter__()
    try:
        for client, variant in zip(clients, variants, strict=True):
            await measure(client, variant, 30)
        for index in range(rounds):
            order = list(range(len(variants)))
            order = order[index % len(order) :] + order[: index % len(order)]
            for position in order:
                results[variants[position].name].append(
                    await measure(clients[position], variants[position], calls)
                )
            line = ", ".join(f"{name} {values[-1]:.3f} ms" for name, values in results.items())
            print(f"round {index + 1}/{rounds}: {line}", file=sys.stderr)
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
    return results


def machine() -> dict[str, Any]:
    """Where the figures were taken."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "platform": platform.platform(),
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "euid": os.geteuid(),
    }


def main() -> int:
    """Run the benchmark and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    load = [round(value, 2) for value in os.getloadavg()]
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        (base / "root").mkdir()
        (base / "bare.py").write_text(BARE_SERVER)

        def bare() -> StdioTransport:
            return StdioTransport(
                sys.executable, [str(base / "bare.py")], log_file=base / "bare.log"
            )

        def ours(name: str, execution: str, telemetry: str = "on") -> StdioTransport:
            return our_transport(
                base / "root", base / name, base / f"{name}.log", execution, telemetry
            )

        # Each variant talks to its own server process (one stdio transport, one client).
        variants = [
            Variant("bare", bare(), "spawn", {"argv": ["true"]}),
            Variant("bare_shell", bare(), "spawn_shell", {"command": "true"}),
            Variant("bare_noop", bare(), "noop", {}),
            Variant("direct_argv", ours("s1", "direct"), "execute_command", {"command": ["true"]}),
            Variant("direct_shell", ours("s2", "direct"), "execute_command", {"command": "true"}),
            Variant("ours_noop", ours("s3", "direct"), "calculate", {"expression": "1"}),
            Variant(
                "direct_argv_telemetry_off",
                ours("s4", "direct", "off"),
                "execute_command",
                {"command": ["true"]},
            ),
        ]
        if shutil.which("bwrap"):
            variants.append(
                Variant(
                    "sandbox_argv", ours("s5", "sandbox"), "execute_command", {"command": ["true"]}
                )
            )
        results = asyncio.run(run(variants, args.rounds, args.calls))
    medians = {name: round(statistics.median(values), 3) for name, values in results.items()}
    report = {
        "benchmark": "latency of one tool call that spawns `true`, stdio, one client, sequential calls",
        "command": " ".join(shlex.quote(part) for part in [sys.executable, *sys.argv]),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {**machine(), "load_average_at_start": load},
        "versions": {
            name: version(name)
            for name in ("mcp-observatory", "fastmcp", "mcp", "bashlex", "psutil")
        },
        "parameters": {"rounds": args.rounds, "calls_per_round": args.calls},
        "target": "direct_argv within 1.5x of bare (SPEC 12)",
        "median_ms": medians,
        "ratio_to_bare": {
            name: round(value / medians["bare"], 3) for name, value in medians.items()
        },
        "rounds_ms": {
            name: [round(value, 3) for value in values] for name, values in results.items()
        },
    }
    report["target_met"] = report["ratio_to_bare"]["direct_argv"] <= 1.5
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"median_ms": medians, "ratio_to_bare": report["ratio_to_bare"]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
