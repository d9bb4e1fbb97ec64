"""run_tests' work: build the pytest or unittest command, run it like any command, read JUnit XML.

The run goes through the commands group's `ProcessManager`, so it gets the same execution
policy as `execute_command`: the active strategy (direct or bubblewrap sandbox), the resource
limits, the minimal environment, the process slots, and the group killed on timeout or
cancellation. The JUnit report is written to a scratch directory under the server's data dir,
which the sandbox binds writable for this one run. Each run is a child span
(`run_tests <runner>`, with the `process.spawn` span under it) carrying the counts, the exit
code and whether it timed out.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from opentelemetry.trace import Span, Status, StatusCode, Tracer

from mcp_server.devtools.junit import JUnitReport, parse_junit
from mcp_server.errors import CommandTimeoutError, InvalidArgumentsError
from mcp_server.execution.processes import CommandSpec, ProcessManager, RunResult

Runner = Literal["pytest", "unittest"]
UNITTEST_RUNNER = Path(__file__).with_name("unittest_junit.py")
# Passed as `python -c <source>`: in the sandbox only the interpreter's prefix is visible, not
# necessarily the directory this package was installed from.
_UNITTEST_RUNNER_SOURCE = UNITTEST_RUNNER.read_text()
_CHILD_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}


OUTPUT_TAIL_CHARS = 8192


@dataclass(frozen=True)
class SuiteOutcome:
    """How the run ended: exit code, timeout, duration and the end of its output."""

    exit_code: int | None
    timed_out: bool
    duration_s: float
    output_bytes: int
    output_tail: str

    @classmethod
    def from_run(cls, result: RunResult) -> SuiteOutcome:
        """Fold a command result's two streams into one tail (stderr after stdout)."""
        text = result.stdout.text + (f"\n--- stderr ---\n{result.stderr.text}" if result.stderr.text else "")
        return cls(
            exit_code=None if result.timed_out else result.exit_code,
            timed_out=result.timed_out,
            duration_s=result.duration_s,
            output_bytes=result.stdout.total_bytes + result.stderr.total_bytes,
            output_tail=text[-OUTPUT_TAIL_CHARS:],
        )


@dataclass(frozen=True)
class SuiteRequest:
    """One run_tests call, its path already validated inside the roots."""

    target: Path
    runner: Runner
    keyword: str | None
    timeout_s: float


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
    return [sys.executable, "-c", _UNITTEST_RUNNER_SOURCE, "--junit-xml", str(junit_path), "--start", str(start),
            "--pattern", pattern, *keyword]  # fmt: skip


def _annotate(span: Span, outcome: SuiteOutcome, report: JUnitReport | None) -> None:
    span.set_attribute("mcp.tests.timed_out", outcome.timed_out)
    if outcome.exit_code is not None:
        span.set_attribute("process.exit.code", outcome.exit_code)
    if report is not None:
        for name, value in report.counts().items():
            span.set_attribute(f"mcp.tests.{name}", value)
    if outcome.timed_out:
        span.set_status(Status(StatusCode.ERROR, "timeout"))
        span.set_attribute("error.type", "timeout")


def shape_result(request: SuiteRequest, outcome: SuiteOutcome, report: JUnitReport | None) -> dict[str, Any]:
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


async def run_suite(
    request: SuiteRequest, processes: ProcessManager, tracer: Tracer, scratch_root: Path
) -> dict[str, Any]:
    """Run the suite as a command under the execution policy and read its report.

    Raises:
        CommandTimeoutError: the run passed `timeout_s`; its process group was killed. The
            error's details carry the output tail.
        InvalidArgumentsError: pytest is not available.
        TooManyProcessesError: every process slot is taken.
    """
    scratch_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="run-tests-", dir=scratch_root) as scratch:
        junit_path = Path(scratch) / "junit.xml"
        command = build_command(request, junit_path)
        attributes = {"mcp.tests.runner": request.runner, "process.executable.name": Path(command[0]).name}
        with tracer.start_as_current_span(f"run_tests {request.runner}", attributes=attributes) as span:
            spec = CommandSpec(
                command=command,
                cwd=working_directory(request.target),
                program=request.runner,
                env=dict(_CHILD_ENV),
                writable=(Path(scratch),),
            )
            outcome = SuiteOutcome.from_run(await processes.run(spec, timeout_s=request.timeout_s))
            report = None if outcome.timed_out else parse_junit(junit_path)
            _annotate(span, outcome, report)
    if outcome.timed_out:
        message = (
            f"the tests did not finish within {request.timeout_s:g}s and were killed; "
            "pass a narrower path, a keyword, or a longer timeout_s"
        )
        raise CommandTimeoutError(message, output_tail=outcome.output_tail[-2000:])
    return shape_result(request, outcome, report)
