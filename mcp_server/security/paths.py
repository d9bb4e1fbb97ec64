"""Path confinement to the allowed roots (SPEC section 8): a pure check and its I/O wrapper.

Modelled on the MCP reference filesystem server (`path-validation.ts` + `validatePath`):
`is_within_roots` is pure (no I/O, never raises), `validate_path` resolves symlinks and
checks again. Every tool that takes a path, the command tools' `cwd` included, calls
`validate_path` first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from mcp_server.errors import InvalidArgumentsError, PathOutsideRootsError

MAX_PATH_CHARS = 4096


def containing_root(path: str, roots: Sequence[str]) -> str | None:
    """The innermost root that contains an absolute, normalised path, by whole components.

    Pure: no I/O, never raises. `/root2` is not inside `/root`; a root is inside itself. Any
    malformed input (not a string, relative path, NUL byte, empty) gives None.

    Args:
        path: an absolute path (callers normalise it first).
        roots: absolute, resolved roots.

    Returns:
        The matching root as given, or None.
    """
    if not isinstance(path, str) or not path or "\x00" in path or not path.startswith("/"):
        return None
    candidate = PurePosixPath(os.path.normpath(path))
    best: str | None = None
    for root in roots:
        if not isinstance(root, str) or not root or "\x00" in root or not root.startswith("/"):
            continue
        if candidate.is_relative_to(PurePosixPath(root)) and (best is None or len(root) > len(best)):
            best = root
    return best


def is_within_roots(path: str, roots: Sequence[str]) -> bool:
    """Whether an absolute, normalised path lies in one of the roots, by whole components.

    Pure: no I/O, never raises; see `containing_root` for the rules.

    Args:
        path: an absolute path (callers normalise it first).
        roots: absolute, resolved roots.
    """
    return containing_root(path, roots) is not None


def is_root(path: str, roots: Sequence[str]) -> bool:
    """Whether a normalised absolute path is one of the roots itself (pure, never raises)."""
    root = containing_root(path, roots)
    return root is not None and PurePosixPath(os.path.normpath(path)) == PurePosixPath(root)


def _refuse(raw: str) -> PathOutsideRootsError:
    shown = raw if len(raw) <= 200 else raw[:200] + "..."
    shown = shown.replace("\x00", "\\0")
    message = f"path {shown!r} is outside the allowed roots (or cannot be resolved safely)"
    return PathOutsideRootsError(message)


def _resolve(candidate: str) -> str:
    """Resolve symlinks of the existing part of `candidate`, then append the rest.

    Walks up to the deepest existing ancestor, resolves it with `realpath`, and re-attaches
    the components that do not exist yet (they cannot be links).
    """
    missing: list[str] = []
    current = candidate
    while not os.path.lexists(current):
        head, tail = os.path.split(current)
        if head == current:
            break
        missing.append(tail)
        current = head
    resolved = os.path.realpath(current)
    return os.path.join(resolved, *reversed(missing)) if missing else resolved


def validate_path(
    raw: str,
    roots: Sequence[Path],
    *,
    allow_dangling: bool = False,
) -> Path:
    """Resolve a client-supplied path and make sure it stays inside the allowed roots.

    Relative paths are taken relative to the first root. Existence is not checked here:
    callers raise `NotFoundError` themselves, so that error keeps its own type.

    Args:
        raw: the path as the client sent it.
        roots: allowed roots, resolved once at start-up.
        allow_dangling: when the last component is a symlink (dangling or not), resolve only
            its parent and return the link itself: the object of a delete or a move.

    Returns:
        The resolved absolute path (symlinks resolved).

    Raises:
        PathOutsideRootsError: NUL bytes, traversal, absolute paths elsewhere, symlinks that
            lead out, dangling symlinks as the last component.
        InvalidArgumentsError: an empty or over-long path.
    """
    if not isinstance(raw, str) or not raw.strip():
        msg = "path must be a non-empty string"
        raise InvalidArgumentsError(msg)
    if len(raw) > MAX_PATH_CHARS:
        msg = f"path is longer than {MAX_PATH_CHARS} characters"
        raise InvalidArgumentsError(msg)
    if "\x00" in raw:
        raise _refuse(raw)
    root_texts = [str(root) for root in roots]
    candidate = os.path.normpath(raw if os.path.isabs(raw) else os.path.join(root_texts[0], raw))
    # Lexical check first: `..` escapes are refused before touching the filesystem.
    if not is_within_roots(candidate, root_texts):
        raise _refuse(raw)
    if allow_dangling and os.path.islink(candidate):
        # Resolve only the parent: the link itself is the object (to delete or move it).
        resolved = os.path.join(_resolve(os.path.dirname(candidate)), os.path.basename(candidate))
    elif os.path.islink(candidate) and not os.path.exists(candidate):
        raise _refuse(raw)
    else:
        resolved = _resolve(candidate)
    if not is_within_roots(resolved, root_texts):
        raise _refuse(raw)
    return Path(resolved)
