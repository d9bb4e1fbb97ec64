"""Checks on the inputs of the command tools: policy, environment, working directory, cache key."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Hashable, Mapping
from pathlib import Path

import anyio

from mcp_server.errors import BlockedCommandError, InvalidArgumentsError, NotFoundError
from mcp_server.security.commands import MAX_COMMAND_CHARS, PolicyDecision, check_command
from mcp_server.security.paths import validate_path
from mcp_server.services import Services

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_THREAD_ABOVE_CHARS = 2048  # parsing long text takes milliseconds: keep it off the event loop
_MAX_ARGV_CHARS = 4 * MAX_COMMAND_CHARS


def validate_env(env: Mapping[str, str] | None) -> None:
    """Names must be shell identifiers; names and values must not hold NUL bytes."""
    for name, value in (env or {}).items():
        if not _ENV_NAME.fullmatch(name):
            msg = (
                f"environment name {name[:64]!r} is not a valid variable name (letters, digits, _)"
            )
            raise InvalidArgumentsError(msg)
        if "\x00" in value:
            msg = f"environment value of {name} contains a NUL byte"
            raise InvalidArgumentsError(msg)


def _validate_command(command: str | list[str]) -> None:
    parts = [command] if isinstance(command, str) else command
    if any("\x00" in part for part in parts):
        msg = "the command contains a NUL byte"
        raise InvalidArgumentsError(msg)
    if not isinstance(command, str) and sum(len(part) for part in command) > _MAX_ARGV_CHARS:
        msg = f"the argv is longer than {_MAX_ARGV_CHARS} characters in total"
        raise InvalidArgumentsError(msg)
    if not isinstance(command, str) and not command[0]:
        msg = "the program name (first argv item) is empty"
        raise InvalidArgumentsError(msg)


async def authorize(
    services: Services,
    command: str | list[str],
    env: Mapping[str, str] | None,
    *,
    stdin: str | None = None,
    interactive: bool = False,
) -> PolicyDecision:
    """Validate the inputs and apply the command policy.

    Raises:
        InvalidArgumentsError: NUL bytes, bad variable names, an empty program name.
        BlockedCommandError: the policy refuses the command (the message says why).
    """
    _validate_command(command)
    validate_env(env)
    kind = "interactive" if interactive else "data" if stdin is not None else "none"

    def decide() -> PolicyDecision:
        return check_command(
            command, services.command_policy, env=env, stdin=kind, stdin_data=stdin
        )

    size = len(command) if isinstance(command, str) else sum(len(part) for part in command)
    decision = await anyio.to_thread.run_sync(decide) if size > _THREAD_ABOVE_CHARS else decide()
    if not decision.allowed:
        msg = f"command refused by the command policy: {decision.reason}"
        raise BlockedCommandError(msg, program=decision.program)
    return decision


def resolve_cwd(services: Services, cwd: str | None) -> Path:
    """The working directory: inside the allowed roots, existing, a directory (blocking)."""
    roots = services.settings.allowed_roots
    path = validate_path(cwd, roots) if cwd is not None else roots[0]
    if not path.exists():
        msg = f"working directory {cwd!r} does not exist"
        raise NotFoundError(msg)
    if not path.is_dir():
        msg = f"working directory {cwd!r} is not a directory"
        raise InvalidArgumentsError(msg)
    if not os.access(path, os.X_OK):
        msg = f"working directory {cwd!r} cannot be entered"
        raise InvalidArgumentsError(msg)
    return path


def cache_key(
    command: str | list[str], cwd: Path, env: Mapping[str, str] | None, stdin: str | None
) -> Hashable:
    """What makes two execute_command calls the same for the result cache."""
    digest = hashlib.sha256(stdin.encode()).hexdigest() if stdin is not None else None
    shown = command if isinstance(command, str) else tuple(command)
    return (shown, str(cwd), tuple(sorted((env or {}).items())), digest)
