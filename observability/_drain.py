"""Background draining of a replaced export pipeline, so a switch never waits on the old endpoint.

After a switch (SPEC 9.7) the old pipeline still holds telemetry recorded before it: the old
BatchSpanProcessor's queue and the metric reader's last batch. Delivering them to the old
endpoint can take as long as that endpoint's export timeout (10 s by default, per batch,
with retries) when it is down or black-holed. Doing it on the caller's thread would make the
admin request, the tool call or the SIGHUP handler hang that long and hold the
reconfiguration lock, so a second switch (the fix) would queue behind the dead endpoint.
Each drain runs on its own daemon thread instead; `force_flush()` and `shutdown()` wait for
pending drains, so "everything recorded so far" still means everything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from observability._logging import get_logger

_log = get_logger("observability.drain")


class Drains:
    """Runs drain jobs in the background and lets callers wait for the pending ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, name: str, job: Callable[[], None]) -> None:
        """Run `job` on a new daemon thread named `otel-drain-<name>`."""

        def run() -> None:
            try:
                job()
            # Telemetry export boundary: a failing old exporter must not take anything down.
            except Exception as exc:  # noqa: BLE001
                _log.warning("telemetry_drain_failed", pipeline=name, error=f"{type(exc).__name__}: {exc}")

        thread = threading.Thread(target=run, name=f"otel-drain-{name}", daemon=True)
        with self._lock:
            self._threads = [alive for alive in self._threads if alive.is_alive()]
            self._threads.append(thread)
        thread.start()

    def wait(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` in total for the pending drains; True when all finished."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            pending = list(self._threads)
        for thread in pending:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in pending)
