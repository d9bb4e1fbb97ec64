"""monitor_performance's work: psutil samples of the machine, or of one managed process, over a window.

Rates (disk and network bytes per second) come from counter deltas between samples. Per-process
CPU needs two readings: every process is primed at the start of the window and read at the
end, so `cpu_percent` covers the whole window (psutil keeps the previous times per process).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

import psutil

from mcp_server.errors import ProcessNotFoundError

MAX_SAMPLES = 100
_PROCESS_FIELDS = ["pid", "name", "username", "status", "cpu_percent", "memory_info", "memory_percent"]


def _counters() -> tuple[Any, Any]:
    return psutil.disk_io_counters(), psutil.net_io_counters()


def _rate(now: Any, before: Any, field: str, elapsed: float) -> float | None:
    if now is None or before is None or elapsed <= 0:
        return None  # no disks or NICs visible (some containers)
    return round((getattr(now, field) - getattr(before, field)) / elapsed, 1)


def _system_sample(started: float, previous: tuple[Any, Any], elapsed: float) -> tuple[dict[str, Any], tuple[Any, Any]]:
    disk, net = current = _counters()
    memory = psutil.virtual_memory()
    sample = {
        "t_s": round(time.monotonic() - started, 3),
        "cpu_percent": psutil.cpu_percent(interval=None),
        "memory_percent": memory.percent,
        "memory_used_bytes": memory.total - memory.available,
        "swap_percent": psutil.swap_memory().percent,
        "disk_read_bytes_per_s": _rate(disk, previous[0], "read_bytes", elapsed),
        "disk_write_bytes_per_s": _rate(disk, previous[0], "write_bytes", elapsed),
        "net_sent_bytes_per_s": _rate(net, previous[1], "bytes_sent", elapsed),
        "net_recv_bytes_per_s": _rate(net, previous[1], "bytes_recv", elapsed),
    }
    return sample, current


def _summary(samples: list[dict[str, Any]], *fields: str) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for field in fields:
        values = [sample[field] for sample in samples if sample.get(field) is not None]
        average = round(sum(values) / len(values), 2) if values else None
        summary[field] = {"avg": average, "max": max(values, default=None)}
    return summary


def _process_row(info: dict[str, Any]) -> dict[str, Any]:
    memory = info.get("memory_info")
    return {
        "pid": info["pid"],
        "name": info.get("name"),
        "username": info.get("username"),
        "status": info.get("status"),
        "cpu_percent": info.get("cpu_percent"),
        "rss_bytes": memory.rss if memory is not None else None,
        "memory_percent": round(info["memory_percent"], 2) if info.get("memory_percent") is not None else None,
    }


def top_processes(limit: int) -> dict[str, list[dict[str, Any]]]:
    """The busiest processes by CPU over the window and the largest by resident memory."""
    rows = [_process_row(proc.info) for proc in psutil.process_iter(_PROCESS_FIELDS, ad_value=None)]
    by_cpu = sorted(rows, key=lambda row: row["cpu_percent"] or 0.0, reverse=True)[:limit]
    by_memory = sorted(rows, key=lambda row: row["rss_bytes"] or 0, reverse=True)[:limit]
    return {"by_cpu": by_cpu, "by_memory": by_memory}


def plan_samples(duration_s: float, interval_s: float) -> tuple[int, float]:
    """How many samples, and how far apart, for a window (at most `MAX_SAMPLES`)."""
    interval = max(min(interval_s, duration_s), duration_s / MAX_SAMPLES)
    return max(1, round(duration_s / interval)), interval


def sample_system(duration_s: float, interval_s: float, top: int) -> dict[str, Any]:
    """Sample the machine for `duration_s` seconds (blocking); see `plan_samples` for the count."""
    count, interval = plan_samples(duration_s, interval_s)
    psutil.cpu_percent(interval=None)
    if top:
        for proc in psutil.process_iter():
            try:
                proc.cpu_percent(interval=None)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    started = last = time.monotonic()
    previous = _counters()
    samples = []
    for _ in range(count):
        time.sleep(interval)
        now = time.monotonic()
        sample, previous = _system_sample(started, previous, now - last)
        samples.append(sample)
        last = now
    return {
        "scope": "system",
        "duration_s": round(time.monotonic() - started, 3),
        "cpu_count": psutil.cpu_count(logical=True),
        "load_average": list(os.getloadavg()),
        "samples": samples,
        "summary": _summary(samples, "cpu_percent", "memory_percent", "disk_read_bytes_per_s",
                            "disk_write_bytes_per_s", "net_sent_bytes_per_s", "net_recv_bytes_per_s"),
        "top_processes": top_processes(top) if top else None,
    }  # fmt: skip


def _refresh(root: psutil.Process, known: dict[int, psutil.Process]) -> None:
    """Add new children of `root`; known ones keep their object (it holds the CPU baseline)."""
    try:
        children = root.children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for proc in (root, *children):
        known.setdefault(proc.pid, proc)


def _tree_sample(processes: Iterable[psutil.Process], started: float) -> dict[str, Any]:
    cpu = rss = threads = alive = 0
    for proc in processes:
        try:
            with proc.oneshot():
                cpu += proc.cpu_percent(interval=None)
                rss += proc.memory_info().rss
                threads += proc.num_threads()
            alive += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return {"t_s": round(time.monotonic() - started, 3), "cpu_percent": round(cpu, 1), "rss_bytes": rss,
            "threads": threads, "processes": alive}  # fmt: skip


def sample_process(pid: int, process_id: str, duration_s: float, interval_s: float) -> dict[str, Any]:
    """Sample one managed process and its children (CPU, resident memory, threads).

    Raises:
        ProcessNotFoundError: the process has exited.
    """
    try:
        root = psutil.Process(pid)
        name = root.name()
    except psutil.NoSuchProcess as exc:
        message = f"process {process_id!r} has exited; read_process_output shows its exit code"
        raise ProcessNotFoundError(message) from exc
    count, interval = plan_samples(duration_s, interval_s)
    started = time.monotonic()
    known: dict[int, psutil.Process] = {}
    _refresh(root, known)
    _tree_sample(known.values(), started)  # primes cpu_percent for every process of the tree
    samples = []
    for _ in range(count):
        time.sleep(interval)
        samples.append(_tree_sample(known.values(), started))
        _refresh(root, known)
    return {
        "scope": "process",
        "process_id": process_id,
        "pid": pid,
        "name": name,
        "duration_s": round(time.monotonic() - started, 3),
        "samples": samples,
        "summary": _summary(samples, "cpu_percent", "rss_bytes"),
    }
