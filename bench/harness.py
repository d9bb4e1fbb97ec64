"""What every benchmark shares: servers in subprocesses, load runs, interleaved rounds, result files.

Benchmarks run on a noisy 2-core machine where the client and the server share the CPU, so
every A/B comparison is interleaved (A B B A ...) in one run, over several rounds, and the
median is reported with every round's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Self

import psutil

from loadtest.connection import Target
from loadtest.engine import LoadTestConfig, run_loadtest
from loadtest.mix import build_scenarios, parse_mix
from loadtest.runner import LoadPlan

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
NOOP_MIX = "calculate=1"
NOOP_ARGS = {"calculate": {"expression": "1"}}


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


# A benchmark stopped with SIGTERM still stops the servers it started (their `with` blocks run).
signal.signal(signal.SIGTERM, _exit_on_sigterm)
_PACKAGES = (
    "mcp-observatory",
    "fastmcp",
    "mcp",
    "opentelemetry-sdk",
    "uvicorn",
    "starlette",
    "structlog",
    "psutil",
)


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> dict[str, Any]:
    """The machine and the versions a result was measured with."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": psutil.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "load_average": list(os.getloadavg()),
        "git_commit": commit.stdout.strip() or None,
        "server_source": os.environ.get("BENCH_SERVER_SRC") or str(REPO),
        "versions": versions,
    }


def round_parser(description: str | None, *, rounds: int, seconds: float, name: str) -> argparse.ArgumentParser:
    """The arguments every interleaved A/B benchmark takes: rounds, seconds, warm-up, result name."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--name", default=name, help="result file name (tests use another)")
    return parser


def write_result(name: str, result: Mapping[str, Any]) -> Path:
    """Write `bench/results/<name>.json` (or `<name>.json` when absolute) with the machine,
    versions and the exact command."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable, *sys.argv]),
        "machine": machine(),
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", file=sys.stderr)
    return path


def source_env() -> dict[str, str]:
    """This environment, with the server code taken from BENCH_SERVER_SRC when it is set.

    BENCH_SERVER_SRC names another source tree (for example an export of the main branch):
    the servers run its `mcp_server` and `observability` while the client stays this checkout.
    """
    env = dict(os.environ)
    source = env.get("BENCH_SERVER_SRC")
    if source:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    return env


def server_env(extra: Mapping[str, str] | None = None) -> tuple[dict[str, str], Path]:
    """A clean environment for our server with a fresh data dir and allowed root."""
    base = Path(tempfile.mkdtemp(prefix="mcp-bench-"))
    (base / "root").mkdir()
    env = {
        k: v
        for k, v in source_env().items()
        if not k.startswith(("OTEL_", "MCP_SERVER_", "FASTMCP_"))
    }
    # Default log level (INFO): the per-call log event is part of "full telemetry".
    env.update(
        {"MCP_SERVER_DATA_DIR": str(base / "data"), "MCP_SERVER_ALLOWED_ROOTS": str(base / "root")}
    )
    env.update(extra or {})
    return env, base


class HttpServer:
    """A server subprocess listening on `port`; `url` is its MCP endpoint, `pid` for psutil."""

    def __init__(
        self, command: Sequence[str], port: int, env: Mapping[str, str] | None = None
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/mcp"
        # The server's logs (one line per call at INFO) go to a file kept for a post-mortem.
        log_fd, self.log_path = tempfile.mkstemp(prefix="mcp-bench-server-", suffix=".log")
        try:
            self.process = subprocess.Popen(
                list(command),
                env=dict(env or source_env()),
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=log_fd,
                start_new_session=True,
            )
        finally:
            os.close(log_fd)
        self._wait_listening()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_listening(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        msg = f"server did not start; see {self.log_path}"
        raise RuntimeError(msg)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def our_server(extra_env: Mapping[str, str] | None = None) -> HttpServer:
    """`python -P -m mcp_server serve --transport http` on a free port.

    `-P` keeps the working directory off `sys.path`, so BENCH_SERVER_SRC (on PYTHONPATH) wins
    over the checkout the benchmark runs from.
    """
    env, _base = server_env(extra_env)
    port = free_port()
    return HttpServer(
        [
            sys.executable,
            "-P",
            "-m",
            "mcp_server",
            "serve",
            "--transport",
            "http",
            "--port",
            str(port),
        ],
        port,
        env,
    )


def bare_server() -> HttpServer:
    """`bench/bare_server.py` on a free port."""
    port = free_port()
    return HttpServer(
        [sys.executable, str(BENCH_DIR / "bare_server.py"), "--port", str(port)], port
    )


def load(
    target: Target,
    *,
    mix: str = NOOP_MIX,
    args: Mapping[str, dict[str, Any]] | None = None,
    sessions: int = 1,
    seconds: float | None = None,
    calls: int | None = None,
    warmup_s: float = 0.0,
    metrics_url: str | None = None,
    strict_mix: bool = True,
) -> dict[str, Any]:
    """One load-test run (the same client as `mcp-observatory loadtest`); its report.

    With `strict_mix` False, entries the server cannot run are dropped (as for the default mix).
    """
    scenarios = build_scenarios(parse_mix(mix), dict(args if args is not None else NOOP_ARGS))
    plan = LoadPlan(sessions=sessions, duration_s=seconds, calls=calls, warmup_s=warmup_s, seed=1)
    config = LoadTestConfig(
        target,
        plan,
        scenarios,
        strict_mix=strict_mix,
        metrics_url=metrics_url,
        progress=None,
        warn=lambda message: print(message, file=sys.stderr),
    )
    return asyncio.run(run_loadtest(config))


def interleave(rounds: int, variants: Mapping[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Measure each variant once per round, alternating the order (ABBA), and keep every figure."""
    names = list(variants)
    figures: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            figures[name].append(variants[name]())
            print(
                f"  round {round_index + 1}/{rounds} {name}: {figures[name][-1]:.1f}",
                file=sys.stderr,
            )
    return figures


def summarize(figures: Mapping[str, list[float]]) -> dict[str, Any]:
    """Median, min, max and every round of each variant."""
    return {
        name: {
            "median": round(statistics.median(values), 2),
            "min": round(min(values), 2),
            "max": round(max(values), 2),
            "rounds": [round(v, 2) for v in values],
        }
        for name, values in figures.items()
    }


def overhead(baseline: float, measured: float) -> float:
    """Throughput lost against the baseline, in percent (negative: faster than the baseline)."""
    return round((1.0 - measured / baseline) * 100.0, 2) if baseline else 0.0


def tool_names(target: Target) -> set[str]:
    """The tools the server lists."""

    async def listed() -> set[str]:
        async with target.client() as client:
            return {tool.name for tool in await client.list_tools()}

    return asyncio.run(listed())


def compare_servers(
    servers: Mapping[str, HttpServer],
    client_counts: Sequence[int],
    rounds: int,
    seconds: float,
    warmup_s: float,
    calls: Mapping[str, tuple[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """No-op throughput of each server at each client count, interleaved, with server CPU per call.

    Server CPU time per call (psutil, user + system of the server process) is less sensitive
    than throughput to whatever else the machine is running.

    Args:
        servers: name -> running server.
        client_counts: concurrent sessions to measure at.
        rounds, seconds, warmup_s: interleaved rounds, measured and unrecorded seconds of each.
        calls: name -> (tool, arguments) to call on that server; default `calculate("1")`.

    Returns:
        `{"<n> clients": {"throughput_per_s": {"<server>": summary}, "p50_ms": ..., "server_cpu_us_per_call": ...}}`.
    """
    results: dict[str, Any] = {}
    for clients in client_counts:
        print(f"{clients} client(s):", file=sys.stderr)
        cpu: dict[str, list[float]] = {name: [] for name in servers}
        p50: dict[str, list[float]] = {name: [] for name in servers}

        def measure(
            name: str,
            sessions: int = clients,
            cpu: dict[str, list[float]] = cpu,
            p50: dict[str, list[float]] = p50,
        ) -> float:
            process = psutil.Process(servers[name].pid)
            target = Target(url=servers[name].url)
            tool, arguments = (calls or {}).get(name, ("calculate", NOOP_ARGS["calculate"]))
            mix = {"mix": tool, "args": {tool: arguments}}
            if warmup_s > 0:
                load(target, sessions=sessions, seconds=warmup_s, **mix)
            before = process.cpu_times()
            report = load(target, sessions=sessions, seconds=seconds, **mix)
            after = process.cpu_times()
            used = (after.user - before.user) + (after.system - before.system)
            cpu[name].append(used / max(report["calls"], 1) * 1e6)
            p50[name].append(report["latency_ms"]["p50"])
            return float(report["throughput_per_s"])

        figures = interleave(rounds, {name: (lambda n=name: measure(n)) for name in servers})
        results[f"{clients} clients"] = {
            "throughput_per_s": summarize(figures),
            "p50_ms": summarize(p50),
            "server_cpu_us_per_call": summarize(cpu),
        }
    return results
