"""The `dev` group: analyze_code, monitor_performance and run_tests (thin handlers)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from pydantic import Field

from mcp_server.devtools.analysis import analyze_source, detect_language
from mcp_server.devtools.performance import sample_process, sample_system
from mcp_server.devtools.suites import SuiteRequest, run_suite
from mcp_server.execution.processes import ProcessManager
from mcp_server.errors import BinaryFileError, InvalidArgumentsError, NotFoundError
from mcp_server.filesystem.anchored import open_regular_file, os_errors
from mcp_server.filesystem.reading import decode_text, read_all
from mcp_server.security.paths import MAX_PATH_CHARS, validate_path
from mcp_server.services import Services
from mcp_server.tool_registry import ToolRegistry

GROUP = "dev"
MAX_SOURCE_BYTES = 2 * 1_048_576


def read_source(raw: str, roots: list[Path]) -> tuple[str, Path]:
    """The UTF-8 text of a source file inside the roots (blocking)."""
    path = validate_path(raw, roots)
    with os_errors(raw), open_regular_file(path, roots) as (fd, _status):
        text = decode_text(read_all(fd, MAX_SOURCE_BYTES))
    if text is None:
        message = f"{raw!r} is binary (or not UTF-8); analyze_code reads source text"
        raise BinaryFileError(message)
    return text, path


def existing_path(raw: str, roots: list[Path]) -> Path:
    """A validated path that exists (blocking)."""
    path = validate_path(raw, roots)
    if not path.exists():
        message = f"{raw!r} does not exist; list_directory shows what is there"
        raise NotFoundError(message)
    return path


def managed_pid(processes: ProcessManager, process_id: str) -> int:
    """The OS pid of a process this server started (its launcher's pid, which leads its group).

    Raises:
        ProcessNotFoundError: no process with that id was started by this server.
    """
    return int(processes.get(process_id).child.pid)


def register(registry: ToolRegistry, services: Services) -> None:
    """Add the development tools."""
    settings = services.settings

    async def analyze_code(
        path: Annotated[
            str | None, Field(max_length=MAX_PATH_CHARS, description="Source file inside the allowed roots.")
        ] = None,
        source: Annotated[
            str | None, Field(max_length=MAX_SOURCE_BYTES, description="Source text (instead of path).")
        ] = None,
        language: Annotated[
            str | None,
            Field(
                max_length=32,
                pattern=r"^[A-Za-z0-9+#_-]+$",
                description="e.g. 'python'; default: from the file extension, python for source text.",
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Analyse source code given as a file path or as text (exactly one of them).

        Python: functions (line, arguments, decorators, cyclomatic complexity and rank A-F),
        classes, imports, raw metrics (LOC, LLOC, SLOC, comments), maintainability index,
        and syntax errors with line and column (reported in `syntax_error`, not as an error).
        Other languages: line metrics (lines, blank, comment, code, line lengths). Sources up
        to 2 MiB; lists are capped at 500 items. Errors: invalid_arguments, not_found,
        binary_file, path_outside_roots.
        """
        if (path is None) == (source is None):
            message = "pass exactly one of path or source"
            raise InvalidArgumentsError(message)
        resolved: Path | None = None
        if path is not None:
            source, resolved = await anyio.to_thread.run_sync(read_source, path, settings.allowed_roots)
        language = detect_language(resolved.name if resolved else None, language)
        analysis = await anyio.to_thread.run_sync(analyze_source, source, language)
        return {"path": str(resolved) if resolved else None, **analysis}

    async def monitor_performance(
        duration_s: Annotated[float, Field(ge=0.1, le=30, description="Length of the sampling window.")] = 1.0,
        interval_s: Annotated[
            float, Field(ge=0.05, le=10, description="Time between samples (at most 100 samples).")
        ] = 0.5,
        top: Annotated[
            int, Field(ge=0, le=50, description="How many top processes by CPU and by memory (0: none).")
        ] = 5,
        process_id: Annotated[
            str | None,
            Field(min_length=1, max_length=64, description="Sample only this managed process and its children."),
        ] = None,
    ) -> dict[str, Any]:
        """Sample performance over a short window: CPU, memory, swap, disk and network bytes per
        second, load average and the top processes by CPU and by resident memory; or, with
        process_id, one process started by start_process (CPU, RSS, threads of its tree).

        Returns every sample plus avg/max summaries. Errors: process_not_found,
        invalid_arguments.
        """
        if process_id is None:
            return await anyio.to_thread.run_sync(sample_system, duration_s, interval_s, top)
        pid = managed_pid(services.processes, process_id)
        return await anyio.to_thread.run_sync(sample_process, pid, process_id, duration_s, interval_s)

    async def run_tests(
        path: Annotated[
            str, Field(min_length=1, max_length=MAX_PATH_CHARS, description="Test directory or file inside the roots.")
        ] = ".",
        runner: Annotated[Literal["pytest", "unittest"], Field(description="Test runner.")] = "pytest",
        keyword: Annotated[
            str | None,
            Field(max_length=200, pattern=r"^[A-Za-z0-9_ .:()\[\]-]+$", description="Only tests matching (pytest -k)."),
        ] = None,
        timeout_s: Annotated[
            float | None,
            Field(gt=0, le=3600, description="Wall-clock limit; default and maximum: the server's command timeout."),
        ] = None,
    ) -> dict[str, Any]:
        """Run a pytest or unittest suite and report counts and the failing tests.

        Runs as a separate process under the server's command limits (timeout, memory, CPU
        time, file size, minimal environment). Returns tests/passed/failed/errors/skipped,
        `failures` ({test, kind failure|error, message, details}), exit_code, duration and
        the tail of the output. Errors: timeout (the process group was killed; details carry
        the output tail), not_found, path_outside_roots, invalid_arguments.
        """
        limit = settings.command_timeout_s
        if timeout_s is not None and timeout_s > limit:
            message = f"timeout_s may not exceed the server's command timeout ({limit:g}s)"
            raise InvalidArgumentsError(message)
        target = await anyio.to_thread.run_sync(existing_path, path, settings.allowed_roots)
        request = SuiteRequest(target, runner, keyword, timeout_s or limit)
        return await run_suite(request, services.processes, services.telemetry.tracer, settings.data_dir / "run-tests")

    registry.add(analyze_code, group=GROUP, read_only=True, idempotent=True)
    registry.add(monitor_performance, group=GROUP, read_only=True, idempotent=True)
    # Test code can do anything: write files, reach the network.
    registry.add(run_tests, group=GROUP, read_only=False, destructive=True, idempotent=False, open_world=True)
