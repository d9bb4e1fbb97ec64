"""Checks that processes are gone (exited, or zombies nobody reaped yet)."""

from __future__ import annotations

import time

import psutil


def is_gone(pid: int) -> bool:
    """The process no longer runs (a zombie counts as gone: it runs no code)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def all_gone(pids: list[int], timeout_s: float = 10.0) -> bool:
    """Wait up to `timeout_s` for every pid to be gone; True when they all are."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(is_gone(pid) for pid in pids):
            return True
        time.sleep(0.02)
    return all(is_gone(pid) for pid in pids)


def descendants(pid: int) -> list[int]:
    """Pids of every descendant of `pid` (empty when it is gone)."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
