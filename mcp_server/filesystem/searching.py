"""search_files' work: a glob over names or relative paths, an optional content regex, bounds.

Content patterns are compiled with RE2 (google-re2): its matching time is linear in the
input, so a hostile pattern such as `(a+)+$` cannot pin a worker thread (Python's `re`
backtracks and cannot be interrupted). The walk uses `os.fwalk` without following symlinks,
and every file is opened with `O_NOFOLLOW` relative to its directory's descriptor.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from mcp_server.errors import InvalidArgumentsError
from mcp_server.filesystem.anchored import FILE_READ_FLAGS
from mcp_server.filesystem.listing import entry_type
from mcp_server.filesystem.reading import looks_binary

MAX_SEARCH_FILE_BYTES = 4 * 1_048_576
MAX_LINE_CHARS = 300
_RE2_MAX_MEM = 8 * 1_048_576


def compile_glob(pattern: str) -> Callable[[str], bool]:
    """A matcher for paths relative to the search directory (`/`-separated).

    Without a `/`, the pattern matches the last component at any depth (`*.py`). With one,
    it matches the whole relative path segment by segment, `**` standing for any number of
    directories (`src/**/test_*.py`). Python 3.13's `PurePath.full_match` does the same; we
    support 3.11, so this is a small segment matcher over `fnmatch`.
    """
    if "/" not in pattern:
        return lambda relative: fnmatch.fnmatchcase(relative.rsplit("/", 1)[-1], pattern)
    segments = tuple(part for part in pattern.strip("/").split("/") if part)
    return lambda relative: _match_segments(segments, tuple(relative.split("/")))


def _match_segments(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(parts)
        if pattern[i] == "**":
            return match(i + 1, j) or (j < len(parts) and match(i, j + 1))
        return j < len(parts) and fnmatch.fnmatchcase(parts[j], pattern[i]) and match(i + 1, j + 1)

    return match(0, 0)


def compile_content_regex(pattern: str, *, case_sensitive: bool) -> Any:
    """An RE2 pattern, or `invalid_arguments` naming what RE2 does not support."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = case_sensitive
    options.max_mem = _RE2_MAX_MEM
    try:
        return re2.compile(pattern, options=options)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        message = f"content_regex is not valid RE2 syntax ({detail}); backreferences and lookaround are not supported"
        raise InvalidArgumentsError(message) from exc


@dataclass
class SearchState:
    """What a search has found so far and the bounds it runs under."""

    base: Path
    max_results: int
    deadline: float
    matches: list[dict[str, Any]] = field(default_factory=list)
    files_scanned: int = 0
    timed_out: bool = False

    @property
    def full(self) -> bool:
        return len(self.matches) >= self.max_results

    def out_of_time(self) -> bool:
        self.timed_out = self.timed_out or time.monotonic() > self.deadline
        return self.timed_out


def _read_small_text(name: str, dir_fd: int) -> str | None:
    try:
        fd = os.open(name, FILE_READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None  # a symlink (ELOOP), vanished or unreadable: not searched
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_SEARCH_FILE_BYTES:
            return None
        data = os.read(fd, MAX_SEARCH_FILE_BYTES + 1)
    finally:
        os.close(fd)
    return None if looks_binary(data) else data.decode("utf-8", "replace")


def _search_content(text: str, relative: str, regex: Any, state: SearchState) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        if number % 1000 == 0 and state.out_of_time():
            return
        if regex.search(line) is not None:
            state.matches.append({"path": str(state.base / relative), "line": number, "text": line[:MAX_LINE_CHARS]})
            if state.full:
                return


def _kind(name: str, dir_fd: int) -> str:
    try:
        return entry_type(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return "vanished"


def _visit(
    names: list[str], top: str, dir_fd: int, kind: str, match: Callable[[str], bool], regex: Any, state: SearchState
) -> None:
    for name in names:
        if state.full or state.out_of_time():
            return
        relative = os.path.normpath(os.path.join(top, name))
        if not match(relative):
            continue
        if regex is None:
            state.matches.append({"path": str(state.base / relative), "type": _kind(name, dir_fd)})
            continue
        if kind == "file":
            text = _read_small_text(name, dir_fd)
            state.files_scanned += 1
            if text is not None:
                _search_content(text, relative, regex, state)


def search_tree(
    dir_fd: int, state: SearchState, match: Callable[[str], bool], regex: Any, include_hidden: bool
) -> None:
    """Walk the tree under `dir_fd` (symlinks not followed), filling `state` until a bound hits."""
    for top, dirnames, filenames, top_fd in os.fwalk(".", dir_fd=dir_fd, follow_symlinks=False):
        if not include_hidden:
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]
            filenames = [name for name in filenames if not name.startswith(".")]
        dirnames.sort()
        _visit(sorted(filenames), top, top_fd, "file", match, regex, state)
        if regex is None:
            _visit(dirnames, top, top_fd, "directory", match, None, state)
        if state.full or state.timed_out:
            return
