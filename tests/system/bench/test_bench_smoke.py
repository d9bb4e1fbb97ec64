"""A tiny run of one benchmark script end to end, so `make bench` does not rot unnoticed.

Only the result's shape and the absence of errors are checked: timings are never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"


class TestSoakSmoke:
    def test_a_tiny_soak_writes_a_complete_result(self, tmp_path: Path) -> None:
        """soak.py with 2 sessions for 1 s: calls made, no errors, samples and verdicts recorded."""
        name = tmp_path / "soak"
        command = [
            sys.executable,
            str(BENCH / "soak.py"),
            "--sessions",
            "2",
            "--seconds",
            "1",
            "--warmup",
            "0",
            "--name",
            str(name),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(name.with_suffix(".json").read_text())
        assert result["command"].endswith(f"--name {name}")
        assert result["machine"]["versions"]["fastmcp"]
        assert result["loadtest"]["calls"] > 0
        assert result["loadtest"]["errors"] == {}
        assert result["server_view"]["calls"] == result["loadtest"]["calls"]
        assert set(result["met"]) == {
            "no_unexpected_error",
            "no_leaked_process",
            "no_leaked_fd",
            "rss_flat",
        }
        assert result["samples"] and all(s["rss_bytes"] > 0 for s in result["samples"])
