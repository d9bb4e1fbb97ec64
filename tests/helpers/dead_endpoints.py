"""OTLP endpoints that are down: a closed port, and a black hole that accepts and never answers.

Both are real sockets on 127.0.0.1, so the SDK's real exporters meet real connection
refusals and real read timeouts.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.helpers.server_process import free_port


def closed_port_endpoint() -> str:
    """Base URL of a port nothing listens on (connections are refused)."""
    return f"http://127.0.0.1:{free_port()}"


class BlackHoleListener:
    """Accepts TCP connections, holds them open and never sends a byte back."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._held.append(connection)

    def __enter__(self) -> BlackHoleListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        self._socket.close()
        for connection in self._held:
            connection.close()
