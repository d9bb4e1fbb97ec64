"""A short soak (SPEC 12 / issue 8): mixed tools from several sessions, then no leaked process,
file descriptor or thread, no error, and memory growth bounded in bytes. It runs the bench's
own soak script, so `make bench` does not rot unnoticed either. Timings are never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"


class TestSoakSmoke:
    def test_a_short_soak_leaks_nothing(self, tmp_path: Path) -> None:
        """soak.py with 8 sessions for 4 s: no error, no leaked process/fd/thread, RSS bounded."""
        name = tmp_path / "soak"
        command = [
            sys.executable,
            str(BENCH / "soak.py"),
            "--sessions",
            "8",
            "--seconds",
            "4",
            "--warmup",
            "1",
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
        met = result["met"]
        assert set(met) == {"no_unexpected_error", "no_leaked_process", "no_leaked_fd", "no_leaked_thread", "rss_flat"}
        assert met["no_unexpected_error"] and met["no_leaked_process"], result["analysis"]
        assert met["no_leaked_fd"] and met["no_leaked_thread"], result["analysis"]
        samples = result["samples"]
        assert samples and all(s["rss_bytes"] > 0 for s in samples)
        # Flat memory over a few seconds, in bytes: growth after warm-up stays under 64 MiB.
        assert samples[-1]["rss_bytes"] - samples[1]["rss_bytes"] < 64 * 2**20
