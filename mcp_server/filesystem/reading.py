"""Reading files: bounded whole-file reads, the content cache, binary detection, line pages.

Text files are decoded once and kept as a tuple of lines in the `file` cache, keyed by
`(path, size, mtime_ns, inode)`: a change made by anyone changes the key (the inode catches
an atomic replacement within one timestamp tick), and our own writes also drop the path's
entries. Binary files are cached as a marker so repeated refusals stay cheap.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_server.caching import TTLCache
from mcp_server.errors import BinaryFileError, ResourceLimitError

MAX_READ_BYTES = 32 * 1_048_576
MAX_BASE64_BYTES = 8 * 1_048_576
MAX_PAGE_CHARS = 1_000_000
CACHE_TTL_S = 300.0
_SNIFF_BYTES = 8192
_CHUNK = 1_048_576


@dataclass(frozen=True)
class FileContent:
    """A file's decoded lines (each with its `\\n`), or None for a binary file."""

    lines: tuple[str, ...] | None
    size: int


CacheKey = tuple[str, int, int, int]


def cache_key(path: Path, status: os.stat_result) -> CacheKey:
    """The content cache key: path, size, modification time (ns) and inode."""
    return (str(path), status.st_size, status.st_mtime_ns, status.st_ino)


def read_all(fd: int, limit: int) -> bytes:
    """Every byte of an open file, refusing files that grow past `limit` while being read."""
    chunks: list[bytes] = []
    total = 0
    while chunk := os.read(fd, _CHUNK):
        total += len(chunk)
        if total > limit:
            msg = f"the file is larger than {limit} bytes; read a smaller file or use search_files"
            raise ResourceLimitError(msg)
        chunks.append(chunk)
    return b"".join(chunks)


def looks_binary(data: bytes) -> bool:
    """A NUL byte near the start means binary (the heuristic of git and grep)."""
    return b"\x00" in data[:_SNIFF_BYTES]


def decode_text(data: bytes) -> str | None:
    """The UTF-8 text of `data`, or None when it is binary or not valid UTF-8."""
    if looks_binary(data):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def split_lines(text: str) -> tuple[str, ...]:
    """Lines split on `\\n` only, each keeping its end (so `\\r\\n` files round-trip).

    `str.splitlines` would also split on form feeds and U+2028, numbering lines differently
    from editors and from `search_files`.
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return tuple(lines)


def load_content(
    fd: int, status: os.stat_result, path: Path, cache: TTLCache[FileContent]
) -> tuple[FileContent, bool]:
    """The file's content from the cache or from `fd`; the flag says whether it was cached."""
    key = cache_key(path, status)
    cached = cache.get(key)
    if cached is not None:
        return cached, True
    if status.st_size > MAX_READ_BYTES:
        msg = f"the file has {status.st_size} bytes, over the {MAX_READ_BYTES}-byte read limit"
        raise ResourceLimitError(msg)
    text = decode_text(read_all(fd, MAX_READ_BYTES))
    content = FileContent(lines=None if text is None else split_lines(text), size=status.st_size)
    cache.put(key, content, CACHE_TTL_S, size=status.st_size)
    return content, False


def require_text(content: FileContent, name: str) -> tuple[str, ...]:
    """The lines of a text file, or `binary_file` with what to do instead."""
    if content.lines is None:
        msg = f"{name!r} is binary (or not UTF-8); pass encoding='base64' to read its bytes"
        raise BinaryFileError(msg)
    return content.lines


def read_base64(fd: int, status: os.stat_result) -> dict[str, Any]:
    """The whole file as base64 (binary files, or exact bytes of text files)."""
    if status.st_size > MAX_BASE64_BYTES:
        msg = f"the file has {status.st_size} bytes; base64 reads are limited to {MAX_BASE64_BYTES}"
        raise ResourceLimitError(msg)
    data = read_all(fd, MAX_BASE64_BYTES)
    return {"encoding": "base64", "content": base64.b64encode(data).decode("ascii"), "size_bytes": len(data)}


def page(lines: tuple[str, ...], offset: int, limit: int, max_chars: int = MAX_PAGE_CHARS) -> dict[str, Any]:
    """One page of lines: from `offset` (negative counts from the end), at most `limit` lines.

    The page also stops before `max_chars`; a single line longer than that is cut and the
    page is marked `truncated`.

    Returns:
        `content`, `offset` (0-based first line), `start_line` (1-based), `lines_returned`,
        `total_lines`, `next_offset` (None at the end) and `truncated`.
    """
    total = len(lines)
    start = max(total + offset, 0) if offset < 0 else min(offset, total)
    chosen: list[str] = []
    used = 0
    truncated = False
    for line in lines[start : start + limit]:
        if used + len(line) > max_chars:
            truncated = True
            if not chosen:
                chosen.append(line[:max_chars])
            break
        chosen.append(line)
        used += len(line)
    end = start + len(chosen)
    return {
        "content": "".join(chosen),
        "offset": start,
        "start_line": start + 1,
        "lines_returned": len(chosen),
        "total_lines": total,
        "next_offset": end if end < total else None,
        "truncated": truncated,
    }
