"""Benchmark 3: `execute_command` of `true` against a bare FastMCP tool that spawns the same process.

Both over streamable HTTP, 1 client, interleaved. Our server runs with
MCP_SERVER_EXECUTION=direct (the bare tool has no sandbox either) and, when bubblewrap is
usable, also with the sandbox, reported separately. Target (SPEC 12): within 1.5x.
Skipped, with the reason recorded, when the server has no `execute_command`.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

from harness import bare_server, compare_servers, our_server, round_parser, tool_names, write_result

from loadtest.connection import Target

TARGET_RATIO = 1.5
ARGV = ["true"]


def _ratios(figures: dict[str, Any], ours: str) -> dict[str, float]:
    throughput, p50 = figures["throughput_per_s"], figures["p50_ms"]
    return {
        "throughput_bare_over_ours": round(
            throughput["bare_spawn"]["median"] / throughput[ours]["median"], 3
        ),
        "p50_ours_over_bare": round(p50[ours]["median"] / p50["bare_spawn"]["median"], 3),
    }


def run(rounds: int, seconds: float, warmup_s: float) -> dict[str, Any]:
    """Measure (or find why not) and return the result document."""
    variants = {"direct": {"MCP_SERVER_EXECUTION": "direct"}}
    if shutil.which("bwrap"):
        variants["sandbox"] = {"MCP_SERVER_EXECUTION": "sandbox"}
    results: dict[str, Any] = {}
    with bare_server() as bare:
        for label, env in variants.items():
            with our_server(env) as ours:
                if "execute_command" not in tool_names(Target(url=ours.url)):
                    return {
                        "skipped": True,
                        "reason": "the server has no execute_command tool (commands group not built yet)",
                    }
                calls = {
                    "bare_spawn": ("spawn", {"argv": ARGV}),
                    f"execute_command_{label}": ("execute_command", {"command": ARGV}),
                }
                servers = {"bare_spawn": bare, f"execute_command_{label}": ours}
                figures = compare_servers(servers, (1,), rounds, seconds, warmup_s, calls)[
                    "1 clients"
                ]
                results[label] = {**figures, **_ratios(figures, f"execute_command_{label}")}
    return {
        "what": "spawning `true`: execute_command(['true']) vs bare FastMCP tool spawn(['true']), 1 client, HTTP",
        "parameters": {"rounds": rounds, "seconds_per_round": seconds, "warmup_s": warmup_s},
        "results": results,
        "target_ratio": TARGET_RATIO,
        "met": {
            label: r["throughput_bare_over_ours"] <= TARGET_RATIO for label, r in results.items()
        },
    }


def main() -> None:
    """Parse sizes, run, write bench/results/spawn_cost.json."""
    parser = round_parser(__doc__, rounds=5, seconds=4.0, name="spawn_cost")
    args = parser.parse_args()
    result = run(args.rounds, args.seconds, args.warmup)
    write_result(args.name, result)
    print(json.dumps({k: result.get(k) for k in ("skipped", "reason", "met")}, indent=2))


if __name__ == "__main__":
    main()
