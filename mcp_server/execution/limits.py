"""Resource limits for child processes: rlimits set by a launcher script, and a pids cgroup.

Limits are applied by a tiny bash prelude (`ulimit`) that then `exec`s the command, rather
than by a Python `preexec_fn`: a `preexec_fn` makes CPython fork the whole server instead of
using vfork, which measured 5.4 ms against 1.1 ms per spawn from a 150 MiB process. The
prelude costs one bash start (~0.6 ms).

RLIMIT_NPROC counts every process of the user and root ignores it, so a fork bomb is also
bounded by a pids cgroup per command when one can be created (cgroup v1 `pids` hierarchy or a
delegated v2 subtree). Without one, and as root, only the timeout ends a fork bomb.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import secrets
import shlex
import signal
from dataclasses import dataclass
from pathlib import Path

_KIB = 1024
_FILE_SIZE_BYTES = 1024 * 1_048_576  # RLIMIT_FSIZE: largest file a command may write
_CHILD_TASKS = 512  # processes/threads one command may add (pids cgroup; RLIMIT_NPROC headroom)
BACKGROUND_CPU_S = 3600  # CPU seconds for start_process children (no wall-clock timeout)
_PREFIX = "mcp-observatory-"


@dataclass(frozen=True, slots=True)
class ResourceLimits:
    """What one child may use."""

    memory_bytes: int
    cpu_seconds: int
    file_size_bytes: int = _FILE_SIZE_BYTES
    tasks: int = _CHILD_TASKS

    @classmethod
    def for_command(cls, memory_limit_mb: int, timeout_s: float | None) -> ResourceLimits:
        """Limits of a command: CPU time follows the wall-clock timeout (plus one second)."""
        cpu = BACKGROUND_CPU_S if timeout_s is None else math.ceil(timeout_s) + 1
        return cls(memory_bytes=memory_limit_mb * 1_048_576, cpu_seconds=cpu)


def _capped(resource_id: int, wanted: int) -> int:
    """`wanted`, lowered to the server's own hard limit (a child cannot raise it)."""
    _soft, hard = resource.getrlimit(resource_id)
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def _system_tasks() -> int:
    """Tasks that exist now (all users), from /proc/loadavg; RLIMIT_NPROC counts per user."""
    try:
        return int(Path("/proc/loadavg").read_text().split()[3].split("/")[1])
    except (OSError, IndexError, ValueError):
        return 4096


def prelude(limits: ResourceLimits, cgroup_procs: Path | None, *, flavor: str = "bash") -> str:
    """Shell lines that join the cgroup and set the rlimits (soft and hard) of the shell.

    Args:
        limits: what to set.
        cgroup_procs: the `cgroup.procs` file to join, if any.
        flavor: `bash` or `dash` (dash's ulimit takes one limit per call, counts the file
            size in 512-byte blocks and calls the process limit `-p`).
    """
    memory_kib = _capped(resource.RLIMIT_AS, limits.memory_bytes) // _KIB
    cpu = _capped(resource.RLIMIT_CPU, limits.cpu_seconds)
    file_bytes = _capped(resource.RLIMIT_FSIZE, limits.file_size_bytes)
    tasks = _capped(resource.RLIMIT_NPROC, _system_tasks() + limits.tasks)
    lines = []
    if cgroup_procs is not None:
        lines.append(f"echo $$ > {shlex.quote(str(cgroup_procs))} || exit 126")
    if flavor == "dash":
        calls = [
            f"ulimit -v {memory_kib}",
            f"ulimit -t {cpu}",
            f"ulimit -f {file_bytes // 512}",
            f"ulimit -p {tasks}",
        ]
        lines.append(" && ".join(calls) + " || exit 126")
    else:
        lines.append(
            f"ulimit -S -H -v {memory_kib} -t {cpu} -f {file_bytes // 1024} -u {tasks} || exit 126"
        )
    return "\n".join(lines) + "\n"


class PidsCgroups:
    """Per-command cgroups with `pids.max`, under a directory this server owns."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._count = 0

    @classmethod
    def detect(cls) -> PidsCgroups | None:
        """A usable pids hierarchy, or None (not mounted, not writable, no pids controller)."""
        name = f"{_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        for parent in _pids_roots():
            base = parent / name
            _remove_stale(parent)
            try:
                base.mkdir(exist_ok=True)
                _enable_v2_pids(base)
                probe = base / "probe"
                probe.mkdir(exist_ok=True)
                usable = (probe / "pids.max").exists() and os.access(
                    probe / "cgroup.procs", os.W_OK
                )
                probe.rmdir()
                if usable:
                    return cls(base)
                base.rmdir()
            except OSError:
                continue
        return None

    def create(self, tasks: int) -> Path:
        """A fresh cgroup allowing `tasks` tasks; returns its directory."""
        self._count += 1
        path = self.base / f"c{self._count}"
        path.mkdir()
        (path / "pids.max").write_text(str(tasks))
        return path

    @staticmethod
    def kill(path: Path) -> None:
        """SIGKILL every task in the cgroup (repeat: a fork bomb forks between reads)."""
        for _ in range(50):
            try:
                pids = [int(pid) for pid in (path / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                return
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    @staticmethod
    def remove(path: Path) -> None:
        """Remove an emptied cgroup (fails quietly while tasks are still exiting)."""
        with contextlib.suppress(OSError):
            path.rmdir()

    def close(self) -> None:
        """Kill what is left in every cgroup of this server and remove the directories."""
        for child in sorted(self.base.glob("c*")):
            self.kill(child)
            self.remove(child)
        with contextlib.suppress(OSError):
            self.base.rmdir()


def _pids_roots() -> list[Path]:
    """The server's own cgroup in a v1 `pids` hierarchy, then in the v2 hierarchy."""
    roots: list[Path] = []
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        memberships = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return roots
    v1 = next(
        (
            line.split()[1]
            for line in mounts
            if line.split()[2:3] == ["cgroup"] and "pids" in line.split()[3].split(",")
        ),
        None,
    )
    v2 = next((line.split()[1] for line in mounts if line.split()[2:3] == ["cgroup2"]), None)
    for membership in memberships:
        _id, controllers, path = membership.split(":", 2)
        if v1 and "pids" in controllers.split(","):
            roots.append(Path(v1 + path))
        if v2 and controllers == "":
            roots.append(Path(v2 + path))
    return roots


def _enable_v2_pids(base: Path) -> None:
    """Turn on the pids controller for children of a delegated v2 cgroup (best effort)."""
    with contextlib.suppress(OSError):
        (base / "cgroup.subtree_control").write_text("+pids")


def _remove_stale(parent: Path) -> None:
    """Remove empty cgroup directories left by servers that died (their pid is gone)."""
    for stale in parent.glob(f"{_PREFIX}*"):
        pid = stale.name.removeprefix(_PREFIX).split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            for child in stale.glob("*/"):
                PidsCgroups.remove(child)
            PidsCgroups.remove(stale)
