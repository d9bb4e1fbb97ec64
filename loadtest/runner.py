"""The workers that issue calls: closed-loop (`--sessions`) or open-loop (`--rate`).

Closed loop: each session calls again as soon as its previous call returns. Open loop: call
number k is *meant* to start at `k / rate` seconds; a free worker takes the next call, waits
for its intended start, and its latency is measured from that intended start. When the server
stalls and every worker is busy, the calls that should have started meanwhile are late, and
their lateness is in their latency: the stall is not hidden by the client slowing down
(coordinated omission).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from loadtest.connection import call
from loadtest.histogram import LatencyHistogram
from loadtest.mix import Scenario


@dataclass(frozen=True)
class LoadPlan:
    """How much load: how many workers, for how long or how many calls, at what rate."""

    sessions: int = 1
    duration_s: float | None = None
    calls: int | None = None
    rate: float | None = None
    warmup_s: float = 0.0
    seed: int | None = None


@dataclass
class ToolStats:
    """Latencies and outcomes of the calls of one mix entry (or of all of them)."""

    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    calls: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, seconds: float, error_type: str | None) -> None:
        """Count one finished call."""
        self.calls += 1
        self.histogram.record_seconds(seconds)
        if error_type is not None:
            self.errors[error_type] += 1


@dataclass
class Stats:
    """Everything measured in one phase: per mix entry, and in total."""

    per_tool: dict[str, ToolStats] = field(default_factory=dict)
    total: ToolStats = field(default_factory=ToolStats)
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None

    def record(self, name: str, seconds: float, error_type: str | None) -> None:
        """Count one finished call of mix entry `name`."""
        self.per_tool.setdefault(name, ToolStats()).record(seconds, error_type)
        self.total.record(seconds, error_type)

    @property
    def elapsed_s(self) -> float:
        """Seconds from the start of the phase to its end (or to now while it runs)."""
        return (self.finished or time.perf_counter()) - self.started


class _Schedule:
    """Hands out call tickets until the call budget or the deadline is reached."""

    def __init__(
        self, plan: LoadPlan, duration_s: float | None, calls: int | None, started: float
    ) -> None:
        self.rate = plan.rate
        self.calls = calls
        self.deadline = started + duration_s if duration_s is not None else None
        self.started = started
        self.issued = 0

    def next_start(self) -> float | None:
        """Intended start (perf_counter) of the next call, or None when the phase is over."""
        if self.calls is not None and self.issued >= self.calls:
            return None
        intended = self.started + self.issued / self.rate if self.rate else time.perf_counter()
        if self.deadline is not None and intended >= self.deadline:
            return None
        self.issued += 1
        return intended


async def _worker(
    client: Any,
    scenarios: Sequence[Scenario],
    schedule: _Schedule,
    stats: Stats,
    rng: random.Random,
) -> None:
    weights = [scenario.weight for scenario in scenarios]
    while (intended := schedule.next_start()) is not None:
        delay = intended - time.perf_counter()
        if delay > 0:
            await anyio.sleep(delay)
        scenario = rng.choices(scenarios, weights)[0]
        error_type = await call(client, scenario.tool, scenario.arguments)
        stats.record(scenario.name, time.perf_counter() - intended, error_type)


async def run_phase(
    clients: Sequence[Any],
    scenarios: Sequence[Scenario],
    plan: LoadPlan,
    *,
    duration_s: float | None,
    calls: int | None,
    stats: Stats | None = None,
) -> Stats:
    """Run `plan.sessions` workers over `clients` until the budget is spent; return the counts.

    Worker i uses client i modulo len(clients) (one shared client on stdio).
    """
    stats = stats or Stats()
    stats.started = time.perf_counter()
    schedule = _Schedule(plan, duration_s, calls, stats.started)
    seed = random.Random(plan.seed)
    async with anyio.create_task_group() as group:
        for index in range(plan.sessions):
            rng = random.Random(seed.random())
            group.start_soon(
                _worker, clients[index % len(clients)], scenarios, schedule, stats, rng
            )
    stats.finished = time.perf_counter()
    return stats
