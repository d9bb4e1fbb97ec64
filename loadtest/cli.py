"""`mcp-observatory loadtest`: arguments, their checks (exit 2 with one line), the run, the output."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from loadtest.connection import Target
from loadtest.engine import LoadTestConfig, run_loadtest
from loadtest.fixtures import FixtureError
from loadtest.mix import DEFAULT_MIX, MixError, build_scenarios, parse_arguments, parse_mix
from loadtest.progress import Progress
from loadtest.report import render_table
from loadtest.runner import LoadPlan
from loadtest.server_metrics import metrics_url_for

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_PROG = "mcp-observatory loadtest"
_DEFAULT_DURATION_S = 10.0
_MAX_SESSIONS = 10_000


class UsageError(ValueError):
    """An argument that cannot be used; the message is the one line the user sees."""


def _bounded(
    kind: Callable[[str], Any], low: float, high: float | None, what: str
) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if math.isnan(value) or value < low or (high is not None and value > high):
            limit = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"{text!r} must be {limit}")
        return value

    return convert


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the `loadtest` arguments (SPEC section 11) on `parser`."""
    parser.error = _one_line_error  # type: ignore[method-assign]
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp")
    target.add_argument(
        "--stdio", metavar="COMMAND", help='server command line, e.g. "mcp-observatory serve"'
    )
    parser.add_argument(
        "--sessions",
        type=_bounded(int, 1, _MAX_SESSIONS, "a whole number"),
        default=1,
        help="concurrent sessions (workers; on stdio they share the one connection)",
    )
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument(
        "--duration",
        type=_bounded(float, 0.001, None, "a number of seconds"),
        help=f"seconds to measure (default {_DEFAULT_DURATION_S:g} unless --calls)",
    )
    budget.add_argument(
        "--calls", type=_bounded(int, 1, None, "a whole number"), help="calls to measure"
    )
    parser.add_argument(
        "--rate",
        type=_bounded(float, 0.001, 1_000_000, "a number"),
        help="open loop: calls per second in total, latency from the intended start",
    )
    parser.add_argument("--mix", help=f"TOOL[#LABEL]=WEIGHT,... (default {DEFAULT_MIX})")
    parser.add_argument(
        "--args",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="arguments of a mix entry as a JSON object (repeatable)",
    )
    parser.add_argument(
        "--protocol",
        choices=["auto", "legacy"],
        default="auto",
        help="auto: 2026-07-28 sessionless era; legacy: initialize handshake",
    )
    parser.add_argument(
        "--warmup",
        type=_bounded(float, 0, None, "a number of seconds"),
        default=0.0,
        help="seconds of unrecorded calls first",
    )
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--token", help="bearer token (MCP_SERVER_AUTH_TOKEN of the server)")
    parser.add_argument("--metrics-url", help="the server's /metrics (default: beside --url)")
    parser.add_argument(
        "--timeout",
        type=_bounded(float, 0.001, None, "a number of seconds"),
        default=30.0,
        help="seconds before one call counts as client_timeout",
    )
    parser.add_argument("--seed", type=int, help="seed of the mix's random choices")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def _one_line_error(message: str) -> NoReturn:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _check_target(args: argparse.Namespace) -> None:
    if args.url is not None:
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            msg = f"--url {args.url!r}: expected http(s)://HOST:PORT/PATH"
            raise UsageError(msg)
    else:
        try:
            argv = shlex.split(args.stdio)
        except ValueError as exc:
            msg = f"--stdio: cannot split the command line ({exc})"
            raise UsageError(msg) from None
        if not argv:
            msg = "--stdio: the command line is empty"
            raise UsageError(msg)
    if args.metrics_url is not None and urlsplit(args.metrics_url).scheme not in ("http", "https"):
        msg = f"--metrics-url {args.metrics_url!r}: expected http(s)://HOST:PORT/metrics"
        raise UsageError(msg)


def build_config(args: argparse.Namespace, progress_stream: Any = None) -> LoadTestConfig:
    """Turn parsed arguments into a config.

    Raises:
        UsageError: a target, mix or argument combination that cannot work.
    """
    _check_target(args)
    try:
        scenarios = build_scenarios(parse_mix(args.mix or DEFAULT_MIX), parse_arguments(args.args))
    except MixError as exc:
        raise UsageError(str(exc)) from None
    duration = (
        args.duration
        if args.duration is not None or args.calls is not None
        else _DEFAULT_DURATION_S
    )
    plan = LoadPlan(args.sessions, duration, args.calls, args.rate, args.warmup, args.seed)
    target = Target(
        url=args.url,
        stdio=args.stdio,
        protocol=args.protocol,
        token=args.token,
        timeout_s=args.timeout,
    )
    metrics_url = args.metrics_url or (metrics_url_for(args.url) if args.url else None)
    progress = Progress(progress_stream or sys.stderr, enabled=not args.quiet)
    return LoadTestConfig(
        target,
        plan,
        scenarios,
        strict_mix=args.mix is not None,
        metrics_url=metrics_url,
        progress=progress,
    )


def _describe_failure(exc: BaseException) -> str:
    # Connection failures arrive wrapped in task-group exception groups; show the innermost.
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def run(args: argparse.Namespace) -> int:
    """Run the load test; print the table to stdout and write `--out`.

    Returns:
        0 when the test ran (tool errors are results, not failures), 1 when it could not run
        (server unreachable, no call completed), 2 for bad arguments or an unusable mix.
    """
    try:
        config = build_config(args)
    except UsageError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = asyncio.run(run_loadtest(config))
    except FixtureError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Boundary of the command: a server that cannot be reached is one clear line, not a trace.
    except Exception as exc:  # noqa: BLE001
        where = config.target.url or config.target.stdio
        print(f"{_PROG}: cannot run against {where}: {_describe_failure(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(render_table(report))
    return EXIT_OK if report["calls"] > 0 else EXIT_FAILED
