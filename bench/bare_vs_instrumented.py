"""Benchmark 2: our instrumented server against a bare FastMCP server with the same no-op tool.

Both over streamable HTTP, 1 and 8 clients, interleaved rounds. Target (SPEC 12): the
instrumented server within 10% of the bare one's throughput.
"""

from __future__ import annotations

import json
from typing import Any

from harness import bare_server, compare_servers, our_server, overhead, round_parser, write_result

TARGET_PERCENT = 10.0


def run(rounds: int, seconds: float, warmup_s: float) -> dict[str, Any]:
    """Measure and return the result document."""
    with our_server() as instrumented, bare_server() as bare:
        results = compare_servers(
            {"instrumented": instrumented, "bare": bare}, (1, 8), rounds, seconds, warmup_s
        )
    gaps = {
        name: overhead(
            f["throughput_per_s"]["bare"]["median"], f["throughput_per_s"]["instrumented"]["median"]
        )
        for name, f in results.items()
    }
    return {
        "what": "calculate('1') calls/s over HTTP: mcp-observatory (default settings) vs bench/bare_server.py",
        "parameters": {"rounds": rounds, "seconds_per_round": seconds, "warmup_s": warmup_s},
        "results": results,
        "slower_than_bare_percent": gaps,
        "target_percent": TARGET_PERCENT,
        "met": {name: gap <= TARGET_PERCENT for name, gap in gaps.items()},
    }


def main() -> None:
    """Parse sizes, run, write bench/results/bare_vs_instrumented.json."""
    parser = round_parser(__doc__, rounds=5, seconds=5.0, name="bare_vs_instrumented")
    args = parser.parse_args()
    result = run(args.rounds, args.seconds, args.warmup)
    write_result(args.name, result)
    print(json.dumps(result["slower_than_bare_percent"], indent=2))


if __name__ == "__main__":
    main()
