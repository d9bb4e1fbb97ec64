"""The `sandbox` strategy: every child runs under bubblewrap.

What a sandboxed command sees: the system directories (and the server's own Python) read-only,
the allowed roots read-write, a private empty /tmp, fresh /proc and /dev, no network unless
`MCP_SERVER_SANDBOX_NETWORK=true`, its own PID namespace, no capabilities. Home directories,
the server's data directory and everything else on the host are simply absent. Mount order
matters: `--tmpfs /tmp` comes before the roots are bound, because roots may live under /tmp.
`--die-with-parent` ties the sandbox to the server: if the server dies, so does the command.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from mcp_server.execution.strategy import (
    ExecutionStrategy,
    Launch,
    StartupError,
    child_environment,
    server_environment,
)

SYSTEM_DIRECTORIES = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/opt",
)
_PROBE_TIMEOUT_S = 10.0


def _under(path: str, parents: Sequence[str]) -> bool:
    return any(path == parent or path.startswith(parent.rstrip("/") + "/") for parent in parents)


def _system_mounts() -> list[str]:
    """Read-only views of the system directories; symlinks (merged /usr) are recreated."""
    args: list[str] = []
    for directory in SYSTEM_DIRECTORIES:
        if os.path.islink(directory):
            args += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            args += ["--ro-bind", directory, directory]
    return args


def _python_mounts() -> list[str]:
    """Read-only views of the server's Python (pyenv under /root, a venv anywhere, even /tmp)."""
    args: list[str] = []
    for prefix in sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}):
        if not _under(prefix, SYSTEM_DIRECTORIES) and os.path.isdir(prefix):
            args += ["--ro-bind", prefix, prefix]
    return args


def bwrap_arguments(
    roots: Sequence[Path], *, network: bool, cwd: Path | None, writable: Sequence[Path] = ()
) -> list[str]:
    """The bubblewrap options for a sandbox with `roots` (and server scratch dirs) writable."""
    args = ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try"]
    if not network:
        args.append("--unshare-net")
    args += _system_mounts()
    # `--tmpfs /tmp` before anything bound under /tmp (the venv or a root may live there).
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    args += _python_mounts()
    for root in (*roots, *writable):
        args += ["--bind", str(root), str(root)]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
    if cwd is not None:
        args += ["--chdir", str(cwd)]
    return args


@functools.lru_cache(maxsize=8)
def probe(bwrap: str, network: bool) -> str | None:
    """None when bubblewrap works here, else why not (cached per process)."""
    command = [bwrap, *bwrap_arguments([], network=network, cwd=None), "--", "true"]
    try:
        completed = subprocess.run(
            command, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if completed.returncode != 0:
        return (
            completed.stderr.decode(errors="replace").strip()[:300]
            or f"exit status {completed.returncode}"
        )
    return None


class SandboxStrategy(ExecutionStrategy):
    """bubblewrap around every command."""

    name = "sandbox"

    def __init__(self, roots: Sequence[Path], *, network: bool, bwrap: str | None = None) -> None:
        super().__init__()
        found = bwrap or shutil.which("bwrap")
        if found is None:
            msg = "bubblewrap (bwrap) is not installed"
            raise StartupError(msg)
        self.bwrap = found
        self.roots = list(roots)
        self.network = network

    def wrap(self, argv: list[str], launch: Launch) -> list[str]:
        """`bwrap <mounts> --chdir cwd -- argv` (with `--info-fd` when the caller waits for it)."""
        status = ["--info-fd", str(launch.status_fd)] if launch.status_fd is not None else []
        return [
            self.bwrap,
            *bwrap_arguments(self.roots, network=self.network, cwd=launch.cwd, writable=launch.writable),
            *status,
            "--",
            *argv,
        ]

    def environment(self, launch: Launch) -> dict[str, str]:
        """As direct, with HOME in the private /tmp."""
        return {**child_environment(server_environment(), launch.env), "HOME": "/tmp"}

    def describe(self) -> dict[str, object]:
        """Strategy, network access and the bubblewrap binary."""
        return {"strategy": self.name, "network": self.network, "bwrap": self.bwrap}
