"""The load test's results: the `--out` JSON document (SPEC section 11) and the final table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loadtest.mix import Scenario
from loadtest.runner import Stats, ToolStats


def _figures(stats: ToolStats, duration_s: float) -> dict[str, Any]:
    return {
        "calls": stats.calls,
        "errors": dict(sorted(stats.errors.items())),
        "duration_s": round(duration_s, 3),
        "throughput_per_s": round(stats.calls / duration_s, 2) if duration_s > 0 else 0.0,
        "latency_ms": stats.histogram.summary_ms(),
    }


def build_report(
    stats: Stats,
    scenarios: Sequence[Scenario],
    settings: Mapping[str, Any],
    server: Mapping[str, Any],
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON report: totals, `per_tool` (by mix entry), the server's view and the settings.

    Args:
        stats: what the measured phase recorded.
        scenarios: the mix that ran (entries that never completed a call still appear).
        settings: target, sessions, rate, ... as run.
        server: `server_metrics.compare(...)` plus `reachable`, or why it was not.
        notes: warnings given while preparing (dropped mix entries).
    """
    duration_s = stats.elapsed_s
    report = _figures(stats.total, duration_s)
    per_tool = {}
    for scenario in scenarios:
        entry = _figures(stats.per_tool.get(scenario.name, ToolStats()), duration_s)
        per_tool[scenario.name] = {"tool": scenario.tool, "weight": scenario.weight, **entry}
    report["per_tool"] = per_tool
    report["server"] = dict(server)
    report["settings"] = dict(settings)
    report["notes"] = list(notes)
    return report


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _row(name: str, figures: Mapping[str, Any], server: Mapping[str, Any] | None) -> list[str]:
    latency = figures["latency_ms"]
    server_latency = (server or {}).get("latency_ms") or {}
    return [
        name,
        str(figures["calls"]),
        str(sum(figures["errors"].values())),
        f"{figures['throughput_per_s']:.1f}",
        *(_fmt(latency[key]) for key in ("p50", "p90", "p99", "max")),
        _fmt(server_latency.get("p50")),
        _fmt(server_latency.get("p99")),
    ]


def render_table(report: Mapping[str, Any]) -> str:
    """The final table: per mix entry and in total, client-side latencies next to the server's.

    Server columns come from `/metrics` (per tool name, so entries of one tool share them).
    """
    server = report.get("server") or {}
    server_tools = server.get("per_tool") or {}
    header = [
        "tool",
        "calls",
        "errors",
        "calls/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "srv p50",
        "srv p99",
    ]
    rows = [header]
    for name, figures in report["per_tool"].items():
        rows.append(_row(name, figures, server_tools.get(figures["tool"])))
    rows.append(_row("TOTAL", report, server if server.get("reachable") else None))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    lines.append("")
    lines.append(
        f"duration {report['duration_s']:.2f} s, {report['calls']} calls, {report['throughput_per_s']:.1f} calls/s"
    )
    lines.append(
        "errors by type: " + (", ".join(f"{k}={v}" for k, v in report["errors"].items()) or "none")
    )
    lines.extend(_server_lines(server))
    return "\n".join(lines)


def _server_lines(server: Mapping[str, Any]) -> list[str]:
    if not server.get("reachable"):
        reason = server.get("error") or "no metrics URL (pass --metrics-url for a stdio server)"
        return [f"server view: unavailable ({reason})"]
    errors = ", ".join(f"{k}={v}" for k, v in sorted(server["errors"].items())) or "none"
    lines = [
        f"server view (/metrics, after minus before): {server['calls']} calls, errors: {errors}"
    ]
    before, after = server.get("process_before") or {}, server.get("process_after") or {}
    if "rss_bytes" in after:
        lines.append(
            f"server process: RSS {before.get('rss_bytes', 0) / 2**20:.1f} -> {after['rss_bytes'] / 2**20:.1f} MiB, "
            f"open fds {before.get('open_fds', 0):.0f} -> {after.get('open_fds', 0):.0f}"
        )
    return lines
