"""The live progress display on stderr: a bar redrawn in place on a TTY, a status line otherwise."""

from __future__ import annotations

import time
from typing import TextIO

import anyio

from loadtest.runner import Stats

_BAR_WIDTH = 24
_TTY_INTERVAL_S = 0.5
_PLAIN_INTERVAL_S = 5.0


class Progress:
    """Shows how far a phase is, its throughput, p50/p99 and errors so far.

    Args:
        stream: where to write (stderr: stdout carries the final table).
        interval_s: seconds between updates; default 0.5 on a TTY, 5 otherwise.
        enabled: False silences it (`--quiet`).
    """

    def __init__(
        self, stream: TextIO, interval_s: float | None = None, enabled: bool = True
    ) -> None:
        self.stream = stream
        self.is_tty = bool(getattr(stream, "isatty", lambda: False)())
        self.interval_s = interval_s or (_TTY_INTERVAL_S if self.is_tty else _PLAIN_INTERVAL_S)
        self.enabled = enabled

    def line(self, label: str, stats: Stats, total_calls: int | None, total_s: float | None) -> str:
        """One status line for `stats` of the phase called `label`."""
        elapsed = stats.elapsed_s
        done = stats.total.calls
        fraction = (
            done / total_calls if total_calls else min(elapsed / total_s, 1.0) if total_s else 0.0
        )
        filled = round(fraction * _BAR_WIDTH)
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        rate = done / elapsed if elapsed > 0 else 0.0
        summary = stats.total.histogram.summary_ms()
        errors = sum(stats.total.errors.values())
        return (
            f"{label:<7} [{bar}] {fraction:4.0%} {done} calls {rate:8.1f}/s "
            f"p50 {summary['p50']:.2f} ms p99 {summary['p99']:.2f} ms errors {errors}"
        )

    def show(self, text: str, final: bool = False) -> None:
        """Write one update (in place on a TTY)."""
        if not self.enabled:
            return
        if self.is_tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    async def follow(
        self, label: str, stats: Stats, total_calls: int | None, total_s: float | None
    ) -> None:
        """Update every `interval_s` until cancelled; the caller shows the last line."""
        next_at = time.monotonic() + self.interval_s
        while True:
            await anyio.sleep(max(next_at - time.monotonic(), 0.0))
            next_at += self.interval_s
            self.show(self.line(label, stats, total_calls, total_s))
