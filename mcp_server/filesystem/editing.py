"""edit_file's work: exact search/replace with an expected count, and the unified diff."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from mcp_server.errors import InvalidArgumentsError

MAX_DIFF_CHARS = 100_000


@dataclass(frozen=True)
class Edit:
    """Replace `old_text` by `new_text`; `old_text` must occur exactly `expected_count` times."""

    old_text: str
    new_text: str
    expected_count: int = 1


def _mismatch(index: int, found: int, expected: int) -> InvalidArgumentsError:
    if found == 0:
        hint = "copy old_text exactly (whitespace and line ends included) from read_file"
    else:
        hint = "add surrounding lines to old_text to make it unique, or set expected_count"
    message = f"edit {index + 1}: old_text occurs {found} time(s), expected {expected}; {hint}. Nothing was changed"
    return InvalidArgumentsError(message)


def apply_edits(text: str, edits: Sequence[Edit]) -> tuple[str, int]:
    """Apply the edits in order, each to the result of the previous one; all or nothing.

    Args:
        text: the file's current text.
        edits: the replacements.

    Returns:
        The new text and the number of replacements made.

    Raises:
        InvalidArgumentsError: an `old_text` is empty or occurs a different number of times
            than expected (the file is then left untouched).
    """
    replacements = 0
    for index, edit in enumerate(edits):
        if not edit.old_text:
            message = f"edit {index + 1}: old_text must not be empty"
            raise InvalidArgumentsError(message)
        found = text.count(edit.old_text)
        if found != edit.expected_count:
            raise _mismatch(index, found, edit.expected_count)
        text = text.replace(edit.old_text, edit.new_text)
        replacements += found
    return text, replacements


def unified_diff(before: str, after: str, name: str) -> tuple[str, bool]:
    """A `git diff`-style unified diff (3 lines of context), cut at `MAX_DIFF_CHARS`.

    Returns:
        The diff text and whether it was cut.
    """
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    parts: list[str] = []
    used = 0
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        if used + len(line) > MAX_DIFF_CHARS:
            parts.append(f"... diff cut at {MAX_DIFF_CHARS} characters\n")
            return "".join(parts), True
        parts.append(line)
        used += len(line)
    return "".join(parts), False
