"""The command line: version, bad settings, and nothing but JSON-RPC on stdout for stdio."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mcp_server import __version__


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_SERVER_", "OTEL_", "FASTMCP_"))}
    env.update(extra)
    return env


class TestCommandLine:
    def test_version_is_the_packages_own(self) -> None:
        """`mcp-observatory --version` prints the distribution version."""
        done = subprocess.run([sys.executable, "-m", "mcp_server", "--version"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0
        assert done.stdout.strip() == f"mcp-observatory {__version__}"

    def test_a_bad_setting_exits_2_with_one_clear_line(self, tmp_path: Path) -> None:
        """A bad MCP_SERVER_PORT prints one line naming it to stderr and exits 2; stdout stays empty."""
        done = subprocess.run(
            [sys.executable, "-m", "mcp_server", "serve"],
            env=_env(MCP_SERVER_PORT="not-a-port", MCP_SERVER_DATA_DIR=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "MCP_SERVER_PORT" in lines[0]
        assert done.stdout == ""

    def test_a_missing_config_file_is_a_clear_error(self, tmp_path: Path) -> None:
        """`--config` naming a missing file exits 2 and says so."""
        done = subprocess.run(
            [sys.executable, "-m", "mcp_server", "serve", "--config", str(tmp_path / "nope.toml")],
            env=_env(MCP_SERVER_DATA_DIR=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode == 2
        assert "nope.toml" in done.stderr
