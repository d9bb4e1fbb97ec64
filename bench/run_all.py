"""`make bench`: run every benchmark in turn, then refresh the results table in bench/README.md.

Each benchmark runs in its own process and writes bench/results/<name>.json; one that fails
is reported and the others still run. `--quick` runs tiny sizes (a smoke run, not figures to
quote: its results go to bench/results/quick/).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# name -> (script, full-size arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "telemetry_overhead": (
        "telemetry_overhead.py",
        [],
        ["--rounds", "1", "--seconds", "1", "--warmup", "0.2", "--memory-calls", "200"],
    ),
    "bare_vs_instrumented": (
        "bare_vs_instrumented.py",
        [],
        ["--rounds", "1", "--seconds", "1", "--warmup", "0.2"],
    ),
    "spawn_cost": ("spawn_cost.py", [], ["--rounds", "1", "--seconds", "1", "--warmup", "0.2"]),
    "big_output": ("big_output.py", [], ["--bytes", str(16 * 2**20)]),
    "peers": ("peers.py", [], ["--rounds", "1", "--seconds", "1", "--warmup", "0.2"]),
    "soak": ("soak.py", [], ["--sessions", "8", "--seconds", "5", "--warmup", "1"]),
    "reconfigure": ("bench_reconfigure.py", [], ["--calls", "100", "--rounds", "1"]),
    "profile_server": ("profile_server.py", [], ["--seconds", "2"]),
}


def main() -> int:
    """Run the chosen benchmarks; return 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, results under bench/results/quick/"
    )
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed = []
    for name in args.names or list(BENCHMARKS):
        script, full, quick = BENCHMARKS[name]
        arguments = [*quick, "--name", f"quick/{name}"] if args.quick else full
        print(f"== {name}", file=sys.stderr, flush=True)
        if (
            subprocess.run(
                [sys.executable, str(BENCH_DIR / script), *arguments], check=False
            ).returncode
            != 0
        ):
            failed.append(name)
    if not args.quick:
        subprocess.run([sys.executable, str(BENCH_DIR / "readme_table.py")], check=False)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
