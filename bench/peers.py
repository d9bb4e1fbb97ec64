"""Benchmark 5: our read_file and execute_command against reference MCP servers, same client, stdio.

Peers, installed by this script into a temporary folder: the reference filesystem server
(npm `@modelcontextprotocol/server-filesystem`, tool `read_text_file`) and `mcp-shell-server`
(PyPI, tool `shell_execute`, commands allowed by ALLOW_COMMANDS). Every server runs over stdio
and is driven by the load generator's client in the handshake era (the peers do not speak
2026-07-28), one call in flight, interleaved rounds. Our server runs with
MCP_SERVER_EXECUTION=direct, as the peers have no sandbox. Our side of a pair is skipped, with
the reason recorded, when the server lacks the tool; the peer is still measured.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import interleave, load, round_parser, server_env, summarize, tool_names, write_result

from loadtest.connection import Target
from loadtest.fixtures import SAMPLE_TEXT

FILESYSTEM_PACKAGE = "@modelcontextprotocol/server-filesystem"
SHELL_PACKAGE = "mcp-shell-server"


def _install_filesystem(folder: Path) -> Path:
    subprocess.run(
        [
            "npm",
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(folder),
            FILESYSTEM_PACKAGE,
        ],
        check=True,
        timeout=600,
    )
    return folder / "node_modules" / FILESYSTEM_PACKAGE / "dist" / "index.js"


def _install_shell(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    subprocess.run(
        [str(folder / "bin" / "pip"), "install", "-q", SHELL_PACKAGE], check=True, timeout=600
    )
    return folder / "bin" / "mcp-shell-server"


def _version(command: list[str], prefix: str = "") -> str | None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [
        line.removeprefix(prefix).strip()
        for line in done.stdout.splitlines()
        if line.startswith(prefix)
    ]
    return lines[0] if lines else None


def _measure(
    target: Target, tool: str, arguments: dict[str, Any], seconds: float, warmup_s: float
) -> Callable[[], float]:
    def run() -> float:
        report = load(target, mix=tool, args={tool: arguments}, seconds=seconds, warmup_s=warmup_s)
        if report["errors"]:
            msg = f"{tool} failed: {report['errors']}"
            raise RuntimeError(msg)
        return float(report["throughput_per_s"])

    return run


def _ours(root: Path) -> tuple[Target, set[str]]:
    env, _base = server_env(
        {"MCP_SERVER_ALLOWED_ROOTS": str(root), "MCP_SERVER_EXECUTION": "direct"}
    )
    target = Target(
        stdio=shlex.join(
            [sys.executable, "-P", "-m", "mcp_server", "serve", "--transport", "stdio"]
        ),
        protocol="legacy",
        stdio_env=env,
    )
    return target, tool_names(target)


def run(rounds: int, seconds: float, warmup_s: float) -> dict[str, Any]:
    """Install the peers, measure each pair interleaved, return the result document."""
    folder = Path(tempfile.mkdtemp(prefix="mcp-bench-peers-"))
    try:
        root = folder / "root"
        root.mkdir()
        sample = root / "sample.txt"
        sample.write_text(SAMPLE_TEXT)
        filesystem = _install_filesystem(folder / "npm")
        shell = _install_shell(folder / "shell-venv")
        ours, our_tools = _ours(root)
        peer_fs = Target(stdio=shlex.join(["node", str(filesystem), str(root)]), protocol="legacy")
        peer_shell = Target(
            stdio=shlex.join([str(shell)]), protocol="legacy", stdio_env={"ALLOW_COMMANDS": "true"}
        )
        pairs = {
            "read_file": (
                ("ours_read_file", ours, "read_file", {"path": str(sample)}),
                ("filesystem_read_text_file", peer_fs, "read_text_file", {"path": str(sample)}),
            ),
            "command": (
                ("ours_execute_command", ours, "execute_command", {"command": ["true"]}),
                (
                    "shell_execute",
                    peer_shell,
                    "shell_execute",
                    {"command": ["true"], "directory": str(root)},
                ),
            ),
        }
        results: dict[str, Any] = {}
        for pair, sides in pairs.items():
            variants = {}
            skipped = None
            for name, target, tool, arguments in sides:
                if target is ours and tool not in our_tools:
                    skipped = f"our server has no {tool} tool yet; only the peer was measured"
                    continue
                variants[name] = _measure(target, tool, arguments, seconds, warmup_s)
            print(f"{pair}:", file=sys.stderr)
            results[pair] = {
                "throughput_per_s": summarize(interleave(rounds, variants)),
                "skipped_ours": skipped,
            }
        versions = {
            FILESYSTEM_PACKAGE: json.loads((filesystem.parents[1] / "package.json").read_text())[
                "version"
            ],
            SHELL_PACKAGE: _version([str(shell.parent / "pip"), "show", SHELL_PACKAGE], "Version:"),
            "node": _version(["node", "--version"]),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "what": "calls/s over stdio, one call in flight, handshake era, same client: ours vs reference servers",
        "parameters": {"rounds": rounds, "seconds_per_round": seconds, "warmup_s": warmup_s},
        "peer_versions": versions,
        "results": results,
    }


def main() -> None:
    """Parse sizes, run, write bench/results/peers.json."""
    parser = round_parser(__doc__, rounds=3, seconds=4.0, name="peers")
    args = parser.parse_args()
    result = run(args.rounds, args.seconds, args.warmup)
    write_result(args.name, result)
    print(json.dumps(result["results"], indent=2))


if __name__ == "__main__":
    main()
