"""One load test from start to end: connect, fit the mix, warm up, measure, read /metrics, report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio

from loadtest import server_metrics
from loadtest.connection import Target, open_sessions
from loadtest.fixtures import cleanup, prepare
from loadtest.mix import Scenario
from loadtest.progress import Progress
from loadtest.report import build_report
from loadtest.runner import LoadPlan, Stats, run_phase


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class LoadTestConfig:
    """Everything one load test needs.

    Attributes:
        target: the server and how to reach it.
        plan: sessions, duration or calls, rate, warm-up.
        scenarios: the mix.
        strict_mix: the user wrote the mix, so an entry the server cannot run is an error
            (a default mix drops such entries with a warning).
        metrics_url: the server's `/metrics` (None: no server view).
        progress: the live display (None: silent).
    """

    target: Target
    plan: LoadPlan
    scenarios: Sequence[Scenario]
    strict_mix: bool = False
    metrics_url: str | None = None
    progress: Progress | None = None
    warn: Callable[[str], None] = field(default=_stderr)


async def _scrape(config: LoadTestConfig) -> server_metrics.Snapshot | str:
    if config.metrics_url is None:
        return "no metrics URL (pass --metrics-url for a stdio server)"
    try:
        text = await anyio.to_thread.run_sync(
            server_metrics.fetch, config.metrics_url, config.target.token
        )
        return server_metrics.parse(text)
    except (OSError, ValueError) as exc:
        return f"{config.metrics_url}: {exc}"


async def _phase(
    config: LoadTestConfig,
    label: str,
    clients: Sequence[Any],
    scenarios: Sequence[Scenario],
    *,
    duration_s: float | None,
    calls: int | None,
) -> Stats:
    stats = Stats()
    progress = config.progress
    async with anyio.create_task_group() as group:
        if progress is not None:
            group.start_soon(progress.follow, label, stats, calls, duration_s)
        await run_phase(
            clients, scenarios, config.plan, duration_s=duration_s, calls=calls, stats=stats
        )
        group.cancel_scope.cancel()
    if progress is not None:
        progress.show(progress.line(label, stats, calls, duration_s), final=True)
    return stats


def _server_view(
    before: server_metrics.Snapshot | str, after: server_metrics.Snapshot | str
) -> dict[str, Any]:
    if isinstance(before, str) or isinstance(after, str):
        return {"reachable": False, "error": before if isinstance(before, str) else after}
    return {"reachable": True, **server_metrics.compare(before, after)}


def _settings(config: LoadTestConfig, scenarios: Sequence[Scenario]) -> dict[str, Any]:
    target = config.target
    return {
        "transport": target.transport_name,
        "url": target.url,
        "stdio": target.stdio,
        "protocol": target.protocol,
        "mode": "open-loop" if config.plan.rate else "closed-loop",
        **{key: value for key, value in asdict(config.plan).items() if key != "seed"},
        "mix": {scenario.name: scenario.weight for scenario in scenarios},
        "metrics_url": config.metrics_url,
    }


async def run_loadtest(config: LoadTestConfig) -> dict[str, Any]:
    """Run the load test described by `config` and return the report (see `report.build_report`).

    Raises:
        loadtest.fixtures.FixtureError: the mix cannot run on this server.
        Exception: whatever connecting to the server raised (it is down, refuses the token, ...).
    """
    notes: list[str] = []

    def warn(message: str) -> None:
        notes.append(message)
        config.warn(message)

    plan = config.plan
    async with open_sessions(config.target, plan.sessions) as clients:
        scenarios, fixtures = await prepare(
            clients[0], config.scenarios, strict=config.strict_mix, warn=warn
        )
        try:
            if plan.warmup_s > 0:
                await _phase(
                    config, "warmup", clients, scenarios, duration_s=plan.warmup_s, calls=None
                )
            before = await _scrape(config)
            stats = await _phase(
                config, "measure", clients, scenarios, duration_s=plan.duration_s, calls=plan.calls
            )
            after = await _scrape(config)
        finally:
            await cleanup(clients[0], fixtures)
    return build_report(
        stats, scenarios, _settings(config, scenarios), _server_view(before, after), notes
    )
