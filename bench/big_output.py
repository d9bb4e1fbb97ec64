"""Benchmark 4: a command printing 1 GiB through execute_command: the server's peak RSS growth.

The server runs with MCP_SERVER_EXECUTION=direct (the output path is the same in the
sandbox) and a command timeout long enough for 1 GiB. RSS is sampled every 50 ms and the
kernel's high-water mark (VmHWM) is read after the call. Target (SPEC 12): peak RSS grows
by less than 64 MiB, and the byte counts are exact. Skipped when the server has no
execute_command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from harness import our_server, tool_names, write_result
from sampler import ProcessSampler

from loadtest.connection import Target

TARGET_MIB = 64
GIB = 1024**3


async def _call(target: Target, size: int) -> tuple[dict[str, Any], float]:
    async with target.client() as client:
        await client.call_tool_mcp("execute_command", {"command": "true"})
        started = time.perf_counter()
        result = await client.call_tool_mcp(
            "execute_command", {"command": f"yes abcdefghijklmnopqrstuvwxyz | head -c {size}"}
        )
        elapsed = time.perf_counter() - started
    structured = result.structured_content or {}
    return structured, elapsed


def _counts(structured: dict[str, Any]) -> dict[str, Any]:
    body = structured.get("result") if isinstance(structured.get("result"), dict) else structured
    return {
        key: value
        for key, value in body.items()
        if not isinstance(value, str) or key in ("status", "type", "error")
    }


def run(size: int) -> dict[str, Any]:
    """Run the command once under the sampler; return the result document."""
    env = {"MCP_SERVER_EXECUTION": "direct", "MCP_SERVER_COMMAND_TIMEOUT_S": "600"}
    with our_server(env) as server:
        target = Target(url=server.url, timeout_s=900)
        if "execute_command" not in tool_names(target):
            return {
                "skipped": True,
                "reason": "the server has no execute_command tool (commands group not built yet)",
            }
        with ProcessSampler(server.pid, 0.05) as sampler:
            baseline = sampler.sample()["rss_bytes"]
            hwm_before = sampler.peak_rss_bytes()
            structured, elapsed = asyncio.run(_call(target, size))
            hwm_after = sampler.peak_rss_bytes()
    sampled_peak = max(point["rss_bytes"] for point in sampler.samples)
    growth = max(sampled_peak, hwm_after if hwm_after > hwm_before else 0) - baseline
    counts = _counts(structured)
    exact = size in [
        value for key, value in counts.items() if "stdout" in key and isinstance(value, int)
    ]
    return {
        "what": f"execute_command printing {size} bytes; server RSS before, sampled peak and VmHWM",
        "parameters": {"bytes": size},
        "duration_s": round(elapsed, 2),
        "throughput_mib_per_s": round(size / 2**20 / elapsed, 1),
        "rss_before_mib": round(baseline / 2**20, 1),
        "rss_sampled_peak_mib": round(sampled_peak / 2**20, 1),
        "vmhwm_before_mib": round(hwm_before / 2**20, 1),
        "vmhwm_after_mib": round(hwm_after / 2**20, 1),
        "peak_growth_mib": round(growth / 2**20, 1),
        "result_counts": counts,
        "byte_count_exact": exact,
        "target_mib": TARGET_MIB,
        "met": growth < TARGET_MIB * 2**20 and exact,
    }


def main() -> None:
    """Parse the size, run, write bench/results/big_output.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bytes", type=int, default=GIB)
    parser.add_argument("--name", default="big_output")
    args = parser.parse_args()
    result = run(args.bytes)
    write_result(args.name, result)
    print(
        json.dumps(
            {
                k: result.get(k)
                for k in ("skipped", "reason", "peak_growth_mib", "byte_count_exact", "met")
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
