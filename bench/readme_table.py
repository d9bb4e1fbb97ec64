"""Render the latest bench/results/*.json as the results table of bench/README.md (between markers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
README = BENCH_DIR / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def _overhead_rows(r: dict[str, Any]) -> list[str]:
    return _spec_overhead_rows(r) + _lean_rows(r)


def _spec_overhead_rows(r: dict[str, Any]) -> list[str]:
    rows = []
    for scope, percent in r["overhead_percent"].items():
        tp = r["results"][scope]["throughput_per_s"]
        cpu = r.get("server_cpu_us_added_per_call", {}).get(scope)
        extra = f"; server CPU +{cpu:.0f} µs/call" if cpu is not None else ""
        rows.append(
            f"| 1. telemetry on vs off, {scope} | ≤ 5% | {percent:.1f}% (on {tp['telemetry_on']['median']:.0f} vs "
            f"off {tp['telemetry_off']['median']:.0f} calls/s{extra}) | {_verdict(r['met'][scope])} |"
        )
    return rows


def _lean_rows(r: dict[str, Any]) -> list[str]:
    rows = []
    for scope, percent in r.get("lean_overhead_percent", {}).items():
        cpu = r["results"][scope]["server_cpu_us_per_call"]
        added = cpu["telemetry_on_lean"]["median"] - cpu["telemetry_off"]["median"]
        rows.append(
            f"| 1b. lean telemetry (traces 1 in 10, no per-call log) vs off, {scope} | "
            f"(operator trade-off) | {percent:.1f}% (server CPU +{added:.0f} µs/call) | - |"
        )
    return rows


def _bare_rows(r: dict[str, Any]) -> list[str]:
    rows = []
    for scope, gap in r["slower_than_bare_percent"].items():
        tp = r["results"][scope]["throughput_per_s"]
        cpu = r["results"][scope]["server_cpu_us_per_call"]
        rows.append(
            f"| 2. instrumented vs bare FastMCP, HTTP {scope} | ≤ 10% slower | {gap:.1f}% (ours {tp['instrumented']['median']:.0f} vs "
            f"bare {tp['bare']['median']:.0f} calls/s; server CPU {cpu['instrumented']['median']:.0f} vs "
            f"{cpu['bare']['median']:.0f} µs/call) | {_verdict(r['met'][scope])} |"
        )
    return rows


def _spawn_rows(r: dict[str, Any]) -> list[str]:
    if r.get("skipped"):
        return [
            f"| 3. execute_command `true` vs bare spawn | ≤ 1.5x | skipped: {r['reason']} | - |"
        ]
    return [
        (
            f"| 3. execute_command `true` vs bare spawn ({label}) | ≤ 1.5x | "
            f"{f['throughput_bare_over_ours']:.2f}x throughput, {f['p50_ours_over_bare']:.2f}x p50 | "
            f"{_verdict(r['met'][label])} |"
        )
        for label, f in r["results"].items()
    ]


def _big_rows(r: dict[str, Any]) -> list[str]:
    if r.get("skipped"):
        return [
            f"| 4. 1 GiB of command output | RSS growth < 64 MiB, exact counts | skipped: {r['reason']} | - |"
        ]
    row = (
        f"| 4. {r['parameters']['bytes']} bytes of command output | RSS growth < 64 MiB, exact counts | "
        f"+{r['peak_growth_mib']:.1f} MiB peak, counts exact: {r['byte_count_exact']}, "
        f"{r['duration_s']} s | {_verdict(r['met'])} |"
    )
    return [row]


def _peer_rows(r: dict[str, Any]) -> list[str]:
    rows = []
    for pair, figures in r["results"].items():
        medians = ", ".join(
            f"{name} {v['median']:.0f}" for name, v in figures["throughput_per_s"].items()
        )
        note = f" ({figures['skipped_ours']})" if figures.get("skipped_ours") else ""
        rows.append(
            f"| 5. {pair} calls/s over stdio vs peer | (comparison) | {medians}{note} | - |"
        )
    return rows


def _soak_rows(r: dict[str, Any]) -> list[str]:
    a, met = r["analysis"], r["met"]
    errors = (
        f"| 6. {r['parameters']['sessions']} sessions, mixed tools, {r['parameters']['seconds']:g} s | "
        f"no unexpected error | {r['loadtest']['calls']} calls, errors {r['loadtest']['errors'] or 'none'} | "
        f"{_verdict(met['no_unexpected_error'])} |"
    )
    leaks = (
        f"| 6. (same) | no leaked process / fd | children {a['children_before']:.0f} -> "
        f"{a['children_after']:.0f}, fds {a['fds_before']:.0f} -> {a['fds_after']:.0f} (peak {a['fds_peak']:.0f}) | "
        f"{_verdict(met['no_leaked_process'] and met['no_leaked_fd'])} |"
    )
    rss = (
        f"| 6. (same) | RSS flat after warm-up | {a['rss_first_10s_mib']} -> {a['rss_last_10s_mib']} MiB "
        f"({a['rss_growth_percent']:+.1f}%, {a['rss_slope_mib_per_min']:+.1f} MiB/min) | {_verdict(met['rss_flat'])} |"
    )
    return [errors, leaks, rss]


RENDERERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "telemetry_overhead": _overhead_rows,
    "bare_vs_instrumented": _bare_rows,
    "spawn_cost": _spawn_rows,
    "big_output": _big_rows,
    "peers": _peer_rows,
    "soak": _soak_rows,
}


def table() -> str:
    """The markdown table of every result file present (missing ones say so)."""
    lines = ["| benchmark | target (SPEC 12) | measured (medians) | verdict |", "|---|---|---|---|"]
    for name, render in RENDERERS.items():
        result = _load(name)
        if result is None:
            lines.append(f"| {name} | | not run yet (`python bench/run_all.py {name}`) | - |")
            continue
        lines.extend(render(result))
    measured = sorted({r["measured_at"] for n in RENDERERS if (r := _load(n))})
    if measured:
        lines.append("")
        lines.append(
            f"Measured between {measured[0]} and {measured[-1]} (UTC); machine and versions in each JSON file."
        )
    return "\n".join(lines)


def main() -> None:
    """Replace the text between the markers of bench/README.md with the table."""
    text = README.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{START}\n{table()}\n{END}{tail}")


if __name__ == "__main__":
    main()
