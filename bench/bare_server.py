"""A bare FastMCP server: the same `calculate` work and a plain spawning tool, nothing else.

The baseline of benchmarks 2 and 3: no middleware, no telemetry, no envelope, no policy.
Run: `python bench/bare_server.py --port 8001` (streamable HTTP at /mcp) or `--stdio`.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from fastmcp import FastMCP

from mcp_server.calculator import evaluate

mcp = FastMCP(name="bare")


@mcp.tool
async def calculate(expression: str) -> dict[str, Any]:
    """Evaluate an arithmetic expression (the product's safe evaluator)."""
    value = evaluate(expression)
    return {
        "expression": expression,
        "value": value if not isinstance(value, complex) else str(value),
    }


@mcp.tool
async def spawn(argv: list[str]) -> dict[str, Any]:
    """Run `argv` (no shell), wait for it, return its exit code and output sizes."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    return {
        "exit_code": process.returncode,
        "stdout_bytes": len(stdout),
        "stderr_bytes": len(stderr),
    }


def main() -> None:
    """Serve over streamable HTTP (default) or stdio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--stdio", action="store_true")
    args = parser.parse_args()
    if args.stdio:
        mcp.run(transport="stdio", show_banner=False)
    else:
        mcp.run(
            transport="http",
            host="127.0.0.1",
            port=args.port,
            path="/mcp",
            show_banner=False,
            log_level="warning",
        )


if __name__ == "__main__":
    main()
