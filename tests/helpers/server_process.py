"""Run the real server as a subprocess (`python -m mcp_server`) for system tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

_URL = re.compile(r"MCP endpoint \(streamable HTTP\): (http://\S+/mcp)")


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a server subprocess: no OTEL_* or MCP_SERVER_* from the shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "MCP_SERVER_", "FASTMCP_"))}
    env.update(
        {
            "MCP_SERVER_DATA_DIR": str(data_dir),
            "MCP_SERVER_ALLOWED_ROOTS": str(root),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


class HttpServer:
    """`python -m mcp_server serve --transport http --port 0`; `url` is the MCP endpoint.

    stderr (logs and the start-up banner) is collected in `stderr_lines`.
    """

    def __init__(self, env: Mapping[str, str], args: list[str] | None = None, cwd: Path | None = None) -> None:
        command = [sys.executable, "-m", "mcp_server", "serve", "--transport", "http", "--port", "0", *(args or [])]
        self.process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stderr_lines: list[str] = []
        self.stdout_lines: list[str] = []
        self._url_ready = threading.Event()
        self.url = ""
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_lines.append(line.rstrip("\n"))
            match = _URL.search(line)
            if match:
                self.url = match.group(1)
                self._url_ready.set()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout_lines.append(line.rstrip("\n"))

    @property
    def base_url(self) -> str:
        return self.url.removesuffix("/mcp")

    def wait_ready(self, timeout: float = 30.0) -> HttpServer:
        if not self._url_ready.wait(timeout):
            self.stop()
            msg = "server did not start:\n" + "\n".join(self.stderr_lines[-30:])
            raise RuntimeError(msg)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        time.sleep(0.05)
        return self.process.returncode

    def __enter__(self) -> HttpServer:
        return self.wait_ready()

    def __exit__(self, *exc: object) -> None:
        self.stop()
