"""A background sampler of one process: RSS, open fds, threads and child processes over time."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Self

import psutil


class ProcessSampler:
    """Samples a process's RSS, open fds, threads and child processes in a background thread.

    Args:
        pid: the process to watch.
        interval_s: seconds between samples.
    """

    def __init__(self, pid: int, interval_s: float) -> None:
        self.process = psutil.Process(pid)
        self.interval_s = interval_s
        self.samples: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def elapsed_s(self) -> float:
        """Seconds since the sampler was created (the clock of the samples' `t_s`)."""
        return time.monotonic() - self._started

    def sample(self) -> dict[str, float]:
        """One sample now (also appended to `samples`)."""
        with self.process.oneshot():
            point = {
                "t_s": round(self.elapsed_s(), 2),
                "rss_bytes": float(self.process.memory_info().rss),
                "open_fds": float(self.process.num_fds()),
                "threads": float(self.process.num_threads()),
                "children": float(len(self.process.children(recursive=True))),
            }
        self.samples.append(point)
        return point

    def peak_rss_bytes(self) -> int:
        """The kernel's high-water mark of the process's RSS (VmHWM), over its whole life."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sample()
            except psutil.Error:
                return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
