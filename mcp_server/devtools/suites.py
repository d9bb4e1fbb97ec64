"""run_tests' work: build the pytest or unittest command, run it under the limits, read JUnit XML.

Each run is a child span (`run_tests <runner>`) of the tool's span, carrying the counts, the
exit code and whether it timed out.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from opentelemetry.trace import Span, Status, StatusCode, Tracer

from mcp_server.devtools.child import ChildResult, child_environment, limits_for, run_limited
from mcp_server.devtools.junit import JUnitReport, parse_junit
from mcp_server.errors import CommandTimeoutError, InvalidArgumentsError

Runner = Literal["pytest", "unittest"]
UNITTEST_RUNNER = Path(__file__).with_name("unittest_junit.py")
_CHILD_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}


@dataclass(frozen=True)
class SuiteRequest:
    """One run_tests call, its path already validated inside the roots."""

    target: Path
    runner: Runner
    keyword: str | None
    timeout_s: float
    memory_limit_mb: int


def working_directory(target: Path) -> Path:
    """Where the run starts: the target directory, or the directory of a target file."""
    return target if target.is_dir() else target.parent


def build_command(request: SuiteRequest, junit_path: Path) -> list[str]:
    """The argv of the run (the server's own interpreter runs it)."""
    # Attached (`-kEXPR`) so a keyword starting with a dash is never read as another option.
    keyword = [f"-k{request.keyword}"] if request.keyword else []
    if request.runner == "pytest":
        if importlib.util.find_spec("pytest") is None:
            message = "pytest is not installed in the server's Python; use runner='unittest'"
            raise InvalidArgumentsError(message)
        return [sys.executable, "-m", "pytest", str(request.target), f"--junitxml={junit_path}", "-q",
                "-p", "no:cacheprovider", "-o", "junit_family=xunit2", "--color=no", *keyword]  # fmt: skip
    if request.target.is_dir():
        start, pattern = request.target, "test*.py"
    else:
        start, pattern = request.target.parent, request.target.name
    return [sys.executable, str(UNITTEST_RUNNER), "--junit-xml", str(junit_path), "--start", str(start),
            "--pattern", pattern, *keyword]  # fmt: skip


def _annotate(span: Span, outcome: ChildResult, report: JUnitReport | None) -> None:
    span.set_attribute("mcp.tests.timed_out", outcome.timed_out)
    if outcome.exit_code is not None:
        span.set_attribute("process.exit.code", outcome.exit_code)
    if report is not None:
        for name, value in report.counts().items():
            span.set_attribute(f"mcp.tests.{name}", value)
    if outcome.timed_out:
        span.set_status(Status(StatusCode.ERROR, "timeout"))
        span.set_attribute("error.type", "timeout")


def shape_result(request: SuiteRequest, outcome: ChildResult, report: JUnitReport | None) -> dict[str, Any]:
    """What run_tests returns for a run that finished (passed or not)."""
    counts = report.counts() if report else {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    return {
        "runner": request.runner,
        "path": str(request.target),
        "exit_code": outcome.exit_code,
        "success": outcome.exit_code == 0,
        "report_found": report is not None,
        **counts,
        "duration_s": outcome.duration_s,
        "test_time_s": report.duration_s if report else None,
        "failures": report.failing if report else [],
        "output_tail": outcome.output_tail,
        "output_bytes": outcome.output_bytes,
    }


async def run_suite(request: SuiteRequest, tracer: Tracer) -> dict[str, Any]:
    """Run the suite in a child process and read its report.

    Raises:
        CommandTimeoutError: the run passed `timeout_s`; its process group was killed. The
            error's details carry the output tail.
        InvalidArgumentsError: pytest is not available.
    """
    with tempfile.TemporaryDirectory(prefix="mcp-run-tests-") as scratch:
        junit_path = Path(scratch) / "junit.xml"
        command = build_command(request, junit_path)
        attributes = {"mcp.tests.runner": request.runner, "process.executable.name": Path(command[0]).name}
        with tracer.start_as_current_span(f"run_tests {request.runner}", attributes=attributes) as span:
            outcome = await run_limited(
                command,
                cwd=working_directory(request.target),
                env=child_environment(_CHILD_ENV),
                timeout_s=request.timeout_s,
                limits=limits_for(request.memory_limit_mb, request.timeout_s),
                output_path=Path(scratch) / "output.log",
            )
            report = None if outcome.timed_out else parse_junit(junit_path)
            _annotate(span, outcome, report)
    if outcome.timed_out:
        message = (
            f"the tests did not finish within {request.timeout_s:g}s and were killed; "
            "pass a narrower path, a keyword, or a longer timeout_s"
        )
        raise CommandTimeoutError(message, output_tail=outcome.output_tail[-2000:])
    return shape_result(request, outcome, report)
