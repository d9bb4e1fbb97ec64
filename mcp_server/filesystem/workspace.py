"""The files group's operations, confined to the allowed roots (blocking: run in a worker thread).

Each operation validates the client's path with `validate_path` (symlinks resolved, containment
by component), then acts through descriptors reached from the root without following
symlinks (`anchored`), so a path swapped for a symlink after the check cannot lead out.
Error messages quote the client's own path, never the resolved one (which would reveal the
roots).
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal

from mcp_server.caching import TTLCache
from mcp_server.errors import (
    AlreadyExistsError,
    BinaryFileError,
    InvalidArgumentsError,
    NotFoundError,
    PermissionDeniedError,
    ResourceLimitError,
)
from mcp_server.filesystem.anchored import open_directory, open_file_at, open_parent, open_regular_file, os_errors
from mcp_server.filesystem.atomic import existing_status, write_atomic
from mcp_server.filesystem.editing import Edit, apply_edits, unified_diff
from mcp_server.filesystem.listing import describe_status, entry_type, list_entries
from mcp_server.filesystem.reading import (
    MAX_READ_BYTES,
    FileContent,
    decode_text,
    load_content,
    looks_binary,
    page,
    read_all,
    read_base64,
    require_text,
)
from mcp_server.filesystem.searching import SearchState, compile_content_regex, compile_glob, search_tree
from mcp_server.security.paths import is_root, validate_path

WriteMode = Literal["overwrite", "create", "append"]
MAX_EDIT_BYTES = 4 * 1_048_576


class Workspace:
    """File operations on the allowed roots, with the content cache they keep coherent.

    Args:
        roots: the allowed roots, resolved at start-up.
        cache: the `file` content cache (hits and misses are metrics).
    """

    def __init__(self, roots: Sequence[Path], cache: TTLCache[FileContent]) -> None:
        self.roots = tuple(roots)
        self._root_texts = tuple(str(root) for root in self.roots)
        self.cache = cache

    def resolve(self, raw: str, *, link_itself: bool = False) -> Path:
        """Validate a client path; `link_itself` keeps a final symlink as the object (delete, move)."""
        return validate_path(raw, self.roots, allow_dangling=link_itself)

    def _refuse_root(self, path: Path, raw: str, action: str) -> None:
        if is_root(str(path), self._root_texts):
            message = f"{raw!r} is an allowed root itself; {action} a root is not allowed"
            raise PermissionDeniedError(message)

    def invalidate(self, path: Path) -> None:
        """Drop cached contents of `path` and of everything under it."""
        prefix = str(path)
        self.cache.invalidate(lambda key: key[0] == prefix or key[0].startswith(prefix + "/"))  # type: ignore[index]

    def read(self, raw: str, *, offset: int, limit: int, encoding: Literal["text", "base64"]) -> dict[str, Any]:
        """A page of lines of a text file, or the whole file as base64."""
        path = self.resolve(raw)
        if is_root(str(path), self._root_texts):
            message = f"{raw!r} is a directory; use list_directory"
            raise InvalidArgumentsError(message)
        with os_errors(raw), open_regular_file(path, self.roots) as (fd, status):
            if encoding == "base64":
                return {"path": str(path), **read_base64(fd, status)}
            content, cached = load_content(fd, status, path, self.cache)
            lines = require_text(content, raw)
        shown = page(lines, offset, limit)
        return {"path": str(path), "encoding": "text", "size_bytes": status.st_size, "cached": cached, **shown}

    def write(self, raw: str, data: bytes, *, mode: WriteMode, create_parents: bool) -> dict[str, Any]:
        """Write a file atomically (`create` refuses an existing file; `append` rewrites it whole)."""
        path = self.resolve(raw)
        self._refuse_root(path, raw, "writing to")
        with os_errors(raw), self._parent(path, raw, create=create_parents) as (dir_fd, name):
            if mode == "append":
                data = _current_bytes(dir_fd, name) + data
                if len(data) > MAX_READ_BYTES:
                    message = f"appending would make the file larger than {MAX_READ_BYTES} bytes"
                    raise ResourceLimitError(message)
            try:
                created = write_atomic(dir_fd, name, data, exclusive=mode == "create")
            except FileExistsError as exc:
                message = f"{raw!r} already exists; use mode='overwrite' to replace it"
                raise AlreadyExistsError(message) from exc
        self.invalidate(path)
        return {"path": str(path), "mode": mode, "bytes_written": len(data), "created": created}

    def edit(self, raw: str, edits: Sequence[Edit], *, dry_run: bool) -> dict[str, Any]:
        """Exact search/replace edits, all or nothing, with a unified diff of the change."""
        path = self.resolve(raw)
        self._refuse_root(path, raw, "editing")
        with os_errors(raw), open_parent(path, self.roots) as (dir_fd, name):
            before = _current_text(dir_fd, name, raw)
            after, replacements = apply_edits(before, edits)
            diff, diff_truncated = unified_diff(before, after, path.name)
            if not dry_run and after != before:
                write_atomic(dir_fd, name, after.encode("utf-8"))
        if not dry_run:
            self.invalidate(path)
        return {
            "path": str(path),
            "replacements": replacements,
            "changed": after != before,
            "dry_run": dry_run,
            "diff": diff,
            "diff_truncated": diff_truncated,
        }

    def list(self, raw: str, *, include_hidden: bool, limit: int) -> dict[str, Any]:
        """The entries of a directory, sorted by name."""
        path = self.resolve(raw)
        with os_errors(raw), open_directory(path, self.roots) as dir_fd:
            listing = list_entries(dir_fd, include_hidden=include_hidden, limit=limit)
        return {"path": str(path), **listing}

    def search(
        self,
        raw: str,
        *,
        pattern: str,
        content_regex: str | None,
        case_sensitive: bool,
        include_hidden: bool,
        max_results: int,
        timeout_s: float,
    ) -> dict[str, Any]:
        """Names matching a glob, optionally lines matching a regex, within a result cap and time."""
        match = compile_glob(pattern)
        regex = compile_content_regex(content_regex, case_sensitive=case_sensitive) if content_regex else None
        path = self.resolve(raw)
        started = time.monotonic()
        state = SearchState(base=path, max_results=max_results, deadline=started + timeout_s)
        with os_errors(raw), open_directory(path, self.roots) as dir_fd:
            search_tree(dir_fd, state, match, regex, include_hidden)
        return {
            "path": str(path),
            "matches": state.matches,
            "truncated": state.full,
            "timed_out": state.timed_out,
            "files_scanned": state.files_scanned,
            "duration_s": round(time.monotonic() - started, 6),
        }

    def info(self, raw: str) -> dict[str, Any]:
        """Metadata of a file or directory (a symlink is described by its target)."""
        path = self.resolve(raw)
        binary = None
        with os_errors(raw):
            if is_root(str(path), self._root_texts):
                with open_directory(path, self.roots) as dir_fd:
                    status = os.fstat(dir_fd)
            else:
                with open_parent(path, self.roots) as (dir_fd, name):
                    status = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                    if stat.S_ISREG(status.st_mode):
                        with open_file_at(dir_fd, name) as (fd, _status):
                            binary = looks_binary(os.read(fd, 8192))
        return {"path": str(path), **describe_status(status, path.name), "is_binary": binary}

    def make_directory(self, raw: str, *, parents: bool) -> dict[str, Any]:
        """Create a directory (and its parents when asked); an existing directory is fine."""
        path = self.resolve(raw)
        if is_root(str(path), self._root_texts):
            return {"path": str(path), "created": False}
        with os_errors(raw), self._parent(path, raw, create=parents, hint="parents") as (dir_fd, name):
            try:
                os.mkdir(name, 0o777, dir_fd=dir_fd)
            except FileExistsError:
                if not stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                    message = f"{raw!r} exists and is not a directory"
                    raise AlreadyExistsError(message) from None
                return {"path": str(path), "created": False}
        return {"path": str(path), "created": True}

    def delete(self, raw: str, *, recursive: bool) -> dict[str, Any]:
        """Delete a file, a symlink (not its target) or, with `recursive`, a directory tree."""
        path = self.resolve(raw, link_itself=True)
        self._refuse_root(path, raw, "deleting")
        with os_errors(raw), open_parent(path, self.roots) as (dir_fd, name):
            kind = entry_type(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
            if kind == "directory":
                if not recursive:
                    message = f"{raw!r} is a directory; pass recursive=true to delete it and everything in it"
                    raise InvalidArgumentsError(message)
                # rmtree with dir_fd works on descriptors and never follows symlinks.
                shutil.rmtree(name, dir_fd=dir_fd)
            else:
                os.unlink(name, dir_fd=dir_fd)
        self.invalidate(path)
        return {"path": str(path), "type": kind, "deleted": True}

    def move(self, raw_source: str, raw_destination: str, *, overwrite: bool, create_parents: bool) -> dict[str, Any]:
        """Rename a file, directory or symlink within the roots (same filesystem)."""
        source = self.resolve(raw_source, link_itself=True)
        destination = self.resolve(raw_destination, link_itself=True)
        self._refuse_root(source, raw_source, "moving")
        self._refuse_root(destination, raw_destination, "replacing")
        if destination.is_relative_to(source):
            message = "destination is the source or inside it; choose a destination outside the source"
            raise InvalidArgumentsError(message)
        with os_errors(raw_source), open_parent(source, self.roots) as (source_fd, source_name):
            kind = entry_type(os.stat(source_name, dir_fd=source_fd, follow_symlinks=False).st_mode)
            with os_errors(raw_destination), self._parent(destination, raw_destination, create=create_parents) as (
                target_fd,
                target_name,
            ):
                replaced = existing_status(target_fd, target_name) is not None
                if replaced and not overwrite:
                    message = f"{raw_destination!r} already exists; pass overwrite=true to replace it"
                    raise AlreadyExistsError(message)
                os.rename(source_name, target_name, src_dir_fd=source_fd, dst_dir_fd=target_fd)
        self.invalidate(source)
        self.invalidate(destination)
        return {"source": str(source), "destination": str(destination), "type": kind, "replaced": replaced}

    @contextmanager
    def _parent(
        self, path: Path, raw: str, *, create: bool, hint: str = "create_parents"
    ) -> Iterator[tuple[int, str]]:
        """`open_parent`, with a not_found that says how to create a missing parent."""
        with ExitStack() as stack:
            try:
                opened = stack.enter_context(open_parent(path, self.roots, create=create))
            except FileNotFoundError as exc:
                message = f"the parent directory of {raw!r} does not exist; pass {hint}=true to create it"
                raise NotFoundError(message) from exc
            yield opened


def _current_bytes(dir_fd: int, name: str) -> bytes:
    if existing_status(dir_fd, name) is None:
        return b""
    with open_file_at(dir_fd, name) as (fd, _status):
        return read_all(fd, MAX_READ_BYTES)


def _current_text(dir_fd: int, name: str, raw: str) -> str:
    with open_file_at(dir_fd, name) as (fd, status):
        if status.st_size > MAX_EDIT_BYTES:
            message = f"{raw!r} has {status.st_size} bytes; edit_file handles files up to {MAX_EDIT_BYTES}"
            raise ResourceLimitError(message)
        text = decode_text(read_all(fd, MAX_EDIT_BYTES))
    if text is None:
        message = f"{raw!r} is binary (or not UTF-8); edit_file edits text files"
        raise BinaryFileError(message)
    return text
