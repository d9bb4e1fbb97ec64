"""Where the server's time goes per call, telemetry on vs off: py-spy samples, grouped by owner.

Starts one server at a time, attaches `py-spy record` (all threads, including the span export
thread) while the load generator drives the no-op tool, then charges each sample to the first
frame above the standard library (its owner: the OTel SDK's traces or metrics, our
observability package, structlog, FastMCP's telemetry, or the rest of the server) and prints
microseconds per call for each owner. Run: `python bench/profile_server.py` (needs py-spy,
`pip install -e '.[bench]'`); it writes bench/results/profile_server.json.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from harness import load, our_server, write_result

from loadtest.connection import Target

# Owner of a frame, by the path py-spy shows for it (first match wins).
OWNERS = (
    ("idle (epoll wait)", ("selectors.py",)),
    ("traces file export", ("observability/_traces_file.py",)),
    ("observability (ours)", ("observability/",)),
    (
        "otel sdk: traces",
        ("sdk/trace/", "trace/", "attributes/__init__.py", "context/", "_decorator.py"),
    ),
    ("otel sdk: metrics", ("metrics/_internal", "sdk/metrics")),
    ("structlog", ("structlog/",)),
    ("fastmcp telemetry", ("fastmcp/server/telemetry.py", "fastmcp/telemetry.py")),
    ("fastmcp middleware dispatch", ("fastmcp/server/middleware/middleware.py",)),
)
_FRAME = re.compile(r"\((?P<path>[^:()]+):\d+\)$")


def owner(stack: str) -> str:
    """The owner of one collapsed stack: its deepest frame outside the standard library."""
    frames = stack.split(";")
    for frame in reversed(frames):
        match = _FRAME.search(frame)
        path = match.group("path") if match else frame
        for name, patterns in OWNERS:
            if any(pattern in path for pattern in patterns):
                return name
        top = path.split("/")[0].removesuffix(".py").lstrip("<").split(" ")[0]
        if top not in sys.stdlib_module_names and top not in ("frozen", "string"):
            return "server work (mcp, fastmcp, uvicorn, tools)"
    return "server work (mcp, fastmcp, uvicorn, tools)"


def _profile(telemetry: str, seconds: float, sessions: int, rate_hz: int) -> dict[str, Any]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = Path(tempfile.mkdtemp(prefix="mcp-profile-")) / "stacks.txt"
    with our_server({"MCP_SERVER_TELEMETRY": telemetry}) as server:
        target = Target(url=server.url)
        load(target, sessions=sessions, seconds=1.0)
        command = [
            py_spy,
            "record",
            "-p",
            str(server.pid),
            "-d",
            str(int(seconds) + 1),
            "-r",
            str(rate_hz),
            "-f",
            "raw",
            "-o",
            str(raw),
            "--nonblocking",
        ]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reports: list[dict[str, Any]] = []
        runner = threading.Thread(
            target=lambda: reports.append(load(target, sessions=sessions, seconds=seconds))
        )
        runner.start()
        runner.join()
        spy.wait(seconds + 30)
    samples: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples[owner(stack)] += int(count)
    calls = reports[0]["calls"]
    per_call = {
        name: round(count / rate_hz / calls * 1e6, 1) for name, count in samples.most_common()
    }
    return {
        "calls": calls,
        "throughput_per_s": reports[0]["throughput_per_s"],
        "us_per_call_by_owner": per_call,
    }


def main() -> None:
    """Profile both servers in turn; print and record the per-owner cost per call."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--name", default="profile_server")
    args = parser.parse_args()
    result = {
        telemetry: _profile(telemetry, args.seconds, args.sessions, args.rate)
        for telemetry in ("on", "off")
    }
    owners = sorted({name for r in result.values() for name in r["us_per_call_by_owner"]})
    added = {
        name: round(
            result["on"]["us_per_call_by_owner"].get(name, 0)
            - result["off"]["us_per_call_by_owner"].get(name, 0),
            1,
        )
        for name in owners
    }
    write_result(
        args.name,
        {
            "what": "py-spy samples per call by owner, calculate('1') over HTTP",
            "telemetry": result,
            "added_by_telemetry_us_per_call": added,
        },
    )
    for name in owners:
        print(
            f"{name:45s} on {result['on']['us_per_call_by_owner'].get(name, 0):8.1f}  "
            f"off {result['off']['us_per_call_by_owner'].get(name, 0):8.1f}  added {added[name]:8.1f} us/call"
        )


if __name__ == "__main__":
    main()
