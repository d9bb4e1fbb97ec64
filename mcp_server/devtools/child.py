"""Run one child process under the command execution policy's limits (used by run_tests).

`run_limited` is the single place where a dev tool starts a process. Until the commands group's
execution strategy (direct or bubblewrap sandbox) is merged, it runs the child directly with
the same guarantees SPEC section 6 asks of every child: its own session and process group,
resource limits (address space, CPU time, file size), a minimal environment without server
secrets, a wall-clock timeout, and the whole group killed at the end (timeout, cancellation,
or normal exit with stragglers left behind).

Limits are set by a tiny launcher that runs `setrlimit` in the child and then `exec`s the
command: `preexec_fn` is not safe in a threaded server and anyio does not offer it.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio

MAX_CHILD_FILE_BYTES = 1 << 30
OUTPUT_TAIL_BYTES = 8192
# Only these variables reach a child: never MCP_SERVER_* (tokens), OTEL_* (exporter headers)
# or anything else the server was started with.
_ENV_ALLOWLIST = ("PATH", "HOME", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "TMPDIR")
_LAUNCHER = """\
import os, resource, sys
for name, value in zip(("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE"), sys.argv[1:4]):
    resource.setrlimit(getattr(resource, name), (int(value), int(value)))
os.execvp(sys.argv[4], sys.argv[4:])
"""


@dataclass(frozen=True)
class ChildLimits:
    """Hard limits a child cannot raise again."""

    memory_bytes: int
    cpu_seconds: int
    file_size_bytes: int = MAX_CHILD_FILE_BYTES


@dataclass(frozen=True)
class ChildResult:
    """How a child ended; output went to a file, of which `output_tail` is the end."""

    exit_code: int | None
    timed_out: bool
    duration_s: float
    output_bytes: int
    output_tail: str


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The minimal environment of a child: a few locale and path variables, plus `extra`."""
    env = {name: value for name, value in os.environ.items() if name in _ENV_ALLOWLIST or name.startswith("LC_")}
    env.setdefault("PATH", os.defpath)
    env.update(extra or {})
    return env


def limits_for(memory_limit_mb: int, timeout_s: float) -> ChildLimits:
    """Limits from the settings: address space in MiB; CPU seconds just above the wall timeout."""
    return ChildLimits(memory_bytes=memory_limit_mb * 1_048_576, cpu_seconds=math.ceil(timeout_s) + 1)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the group is already gone


def _tail(path: Path) -> tuple[int, str]:
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(max(size - OUTPUT_TAIL_BYTES, 0))
        return size, stream.read().decode("utf-8", "replace")


async def run_limited(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    limits: ChildLimits,
    output_path: Path,
) -> ChildResult:
    """Run `argv` in its own process group under `limits`; stdout and stderr go to `output_path`.

    The lead switches this function to the commands group's execution strategy when both land.

    Args:
        argv: the command (no shell).
        cwd: working directory (validated by the caller).
        env: the child's whole environment (see `child_environment`).
        timeout_s: wall-clock limit; the whole process group is killed when it passes.
        limits: address space, CPU time and file size limits.
        output_path: file receiving the combined output.

    Returns:
        The exit code (negative: killed by that signal; None: timed out), duration and output tail.
    """
    command = [sys.executable, "-I", "-c", _LAUNCHER, str(limits.memory_bytes), str(limits.cpu_seconds),
               str(limits.file_size_bytes), *argv]  # fmt: skip
    started = time.monotonic()
    with output_path.open("wb") as output:
        process = await anyio.open_process(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            cwd=cwd, env=dict(env), start_new_session=True,
        )  # fmt: skip
    try:
        with anyio.move_on_after(timeout_s) as scope:
            await process.wait()
    finally:
        # Timeout, cancellation (client gone) or stragglers after a normal exit: end the group.
        _kill_group(process.pid)
        with anyio.CancelScope(shield=True):
            await process.wait()
        await process.aclose()
    timed_out = scope.cancelled_caught
    size, tail = _tail(output_path)
    return ChildResult(
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        duration_s=round(time.monotonic() - started, 3),
        output_bytes=size,
        output_tail=tail,
    )
