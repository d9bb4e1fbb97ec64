"""The `mcp-observatory` command line: `serve`, `loadtest`, `--version`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from mcp_server import __version__
from mcp_server.settings import Settings, load_settings

EXIT_BAD_SETTINGS = 2


def setting_name(field: str) -> str:
    """The environment variable a user sets for a Settings field."""
    info = Settings.model_fields.get(field)
    alias = getattr(info, "validation_alias", None) if info else None
    if isinstance(alias, str):
        return alias
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[-1])
    return f"MCP_SERVER_{field.upper()}"


def describe_settings_error(exc: ValidationError) -> str:
    """One line naming each invalid setting and what is wrong with it."""
    problems = []
    for error in exc.errors(include_url=False):
        location = error.get("loc") or ("settings",)
        field = str(location[0])
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        problems.append(f"{setting_name(field) if field in Settings.model_fields else field}: {message}")
    return "invalid setting: " + "; ".join(problems)


def _add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transport", choices=["stdio", "http"], help="MCP transport (default stdio)")
    parser.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="HTTP port (default 8000)")
    parser.add_argument("--config", type=Path, help="TOML settings file (re-read on SIGHUP)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands `serve` and `loadtest`)."""
    parser = argparse.ArgumentParser(
        prog="mcp-observatory", description="An observable-first MCP tool server and its load generator."
    )
    parser.add_argument("--version", action="version", version=f"mcp-observatory {__version__}")
    subcommands = parser.add_subparsers(dest="command")
    serve = subcommands.add_parser("serve", help="run the MCP server (the default)")
    _add_serve_arguments(serve)
    loadtest = subcommands.add_parser("loadtest", help="drive a server with MCP calls and report latency")
    try:
        from loadtest.cli import add_arguments
    except ImportError:
        loadtest.set_defaults(unavailable=True)
    else:
        add_arguments(loadtest)
    return parser


def run_serve(args: argparse.Namespace) -> int:
    """Load settings (exit 2 with one clear line if invalid) and serve."""
    from mcp_server.execution.strategy import StartupError
    from mcp_server.serve import serve

    try:
        settings = load_settings(
            config_file=args.config, transport=args.transport, host=args.host, port=args.port
        )
    except ValidationError as exc:
        print(f"mcp-observatory: {describe_settings_error(exc)}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except (FileNotFoundError, ValueError) as exc:
        print(f"mcp-observatory: invalid setting: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    try:
        return asyncio.run(serve(settings))
    except StartupError as exc:
        print(f"mcp-observatory: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m mcp_server`."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0].startswith("--") and arguments[0] not in ("--version", "-h", "--help"):
        arguments.insert(0, "serve")
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command == "loadtest":
        if getattr(args, "unavailable", False):
            print("mcp-observatory: the load generator is not installed", file=sys.stderr)
            return EXIT_BAD_SETTINGS
        from loadtest.cli import run

        return run(args)
    return run_serve(args)
