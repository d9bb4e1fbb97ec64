"""read_file calls per second over stdio: mcp-observatory against the reference filesystem server.

The reference is `@modelcontextprotocol/server-filesystem` (its `read_text_file` tool), installed
with npm into a temporary folder by this script. Both servers run as stdio subprocesses driven by
the same `fastmcp.Client`, read the same file, one call at a time, in interleaved rounds (every
round runs each variant once, in rotating order, so drift hits all alike); the figure per variant
is the median over rounds. The reference speaks only the 2025-11-25 handshake era, so the
like-for-like comparison uses `mode="legacy"` for both; our server is also measured in the
sessionless 2026-07-28 era and with telemetry off.

Usage:
    .venv/bin/python bench/bench_read_file.py [--rounds 7] [--calls 500] [--lines 200]

Writes `bench/results/bench_read_file.json` (machine, versions, exact command, rounds, medians).
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
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport

REFERENCE_PACKAGE = "@modelcontextprotocol/server-filesystem"
RESULTS = Path(__file__).parent / "results" / "bench_read_file.json"
# The framework's floor: the same FastMCP, one tool that just reads the file (no validation,
# no envelope, no telemetry). The gap to it is what our server adds.
BARE_SERVER = """
from pathlib import Path
from fastmcp import FastMCP

mcp = FastMCP("bare")


@mcp.tool
def read_text_file(path: str) -> str:
    return Path(path).read_text()


mcp.run(transport="stdio", show_banner=False)
"""


@dataclass
class Variant:
    """One server configuration under test."""

    name: str
    transport: StdioTransport
    tool: str
    mode: str


def install_reference(folder: Path) -> Path:
    """npm-install the reference server into `folder`; returns its entry script."""
    command = ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(folder), REFERENCE_PACKAGE]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder / "node_modules" / REFERENCE_PACKAGE / "dist" / "index.js"


def our_transport(data: Path, state: Path, log: Path, telemetry: str) -> StdioTransport:
    """Our server over stdio with its default settings (telemetry on unless asked), logs to a file."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MCP_SERVER_", "OTEL_"))}
    env.update({"MCP_SERVER_ALLOWED_ROOTS": str(data), "MCP_SERVER_DATA_DIR": str(state), "MCP_SERVER_TELEMETRY": telemetry})
    return StdioTransport(sys.executable, ["-m", "mcp_server", "serve", "--transport", "stdio"], env=env, log_file=log)


async def measure(client: Client, tool: str, path: str, calls: int) -> dict[str, float]:
    """`calls` sequential calls; throughput and per-call latency percentiles."""
    latencies = []
    started = time.perf_counter()
    for _ in range(calls):
        before = time.perf_counter()
        result = await client.call_tool_mcp(tool, {"path": path})
        latencies.append(time.perf_counter() - before)
        if result.is_error:
            message = f"{tool} failed: {result.content}"
            raise RuntimeError(message)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "calls_per_s": round(calls / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
    }


async def run(variants: list[Variant], path: str, rounds: int, calls: int) -> dict[str, list[dict[str, float]]]:
    """Connect every variant once, warm up, then interleave the measured rounds."""
    results: dict[str, list[dict[str, float]]] = {variant.name: [] for variant in variants}
    clients = [Client(variant.transport, mode=variant.mode) for variant in variants]
    for client in clients:
        await client.__aenter__()
    try:
        for client, variant in zip(clients, variants, strict=True):
            await measure(client, variant.tool, path, 50)
        for index in range(rounds):
            order = list(range(len(variants)))
            order = order[index % len(order) :] + order[: index % len(order)]
            for position in order:
                results[variants[position].name].append(await measure(clients[position], variants[position].tool, path, calls))
            print(f"round {index + 1}/{rounds}: " + ", ".join(f"{n} {r[-1]['calls_per_s']}/s" for n, r in results.items()), file=sys.stderr)
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
    return results


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")), "")
    return {
        "platform": platform.platform(),
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def versions(reference_entry: Path) -> dict[str, str]:
    package = json.loads((reference_entry.parent.parent / "package.json").read_text())
    node = subprocess.run(["node", "--version"], check=True, capture_output=True, text=True).stdout.strip()
    return {
        "mcp-observatory": version("mcp-observatory"),
        "fastmcp": version("fastmcp"),
        "mcp": version("mcp"),
        "node": node,
        REFERENCE_PACKAGE: package["version"],
    }


def summarise(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    medians = {
        name: {key: statistics.median(r[key] for r in rounds) for key in ("calls_per_s", "p50_ms", "p99_ms")}
        for name, rounds in results.items()
    }
    reference = medians["reference_legacy"]["calls_per_s"]
    for figures in medians.values():
        figures["vs_reference"] = round(figures["calls_per_s"] / reference, 3)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=500, help="calls per variant per round")
    parser.add_argument("--lines", type=int, default=200, help="lines in the file read")
    options = parser.parse_args()
    if shutil.which("npm") is None or shutil.which("node") is None:
        sys.exit("node and npm are needed for the reference server")
    host = machine()
    with tempfile.TemporaryDirectory(prefix="bench-read-file-") as scratch:
        base = Path(scratch)
        data = base / "data"
        data.mkdir()
        sample = data / "sample.txt"
        sample.write_text("".join(f"line {n}: the quick brown fox jumps over the lazy dog\n" for n in range(options.lines)))
        entry = install_reference(base / "npm")
        log = base / "servers.log"
        bare = base / "bare_server.py"
        bare.write_text(BARE_SERVER)
        variants = [
            Variant("reference_legacy", StdioTransport("node", [str(entry), str(data)], log_file=log), "read_text_file", "legacy"),
            Variant("observatory_legacy", our_transport(data, base / "s1", log, "on"), "read_file", "legacy"),
            Variant("observatory_2026", our_transport(data, base / "s2", log, "on"), "read_file", "auto"),
            Variant("observatory_legacy_telemetry_off", our_transport(data, base / "s3", log, "off"), "read_file", "legacy"),
            Variant("bare_fastmcp_legacy", StdioTransport(sys.executable, [str(bare)], log_file=log), "read_text_file", "legacy"),
        ]
        results = asyncio.run(run(variants, str(sample), options.rounds, options.calls))
        report = {
            "benchmark": "read_file calls per second over stdio, one client, sequential calls",
            "command": shlex.join([sys.executable, *sys.argv]),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": host,
            "versions": versions(entry),
            "parameters": {"rounds": options.rounds, "calls_per_round": options.calls, "file_bytes": sample.stat().st_size,
                           "file_lines": options.lines},
            "notes": "Our read_file serves repeated reads of an unchanged file from the content cache "
                     "(keyed by path, size, mtime, inode); the reference reads the file on every call.",
            "median": summarise(results),
            "rounds": results,
        }  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["median"], indent=2))


if __name__ == "__main__":
    main()
