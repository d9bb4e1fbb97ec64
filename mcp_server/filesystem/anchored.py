"""Open paths beneath an allowed root one component at a time, never following a symlink.

`validate_path` resolves symlinks and checks containment, but between that check and the
use of the path another process could swap a directory for a symlink (a check-then-use
race). Everything here starts from the root's own descriptor and opens each further
component with `O_NOFOLLOW` relative to the previous one (`openat`), so a component that
became a symlink fails with ELOOP/ENOTDIR instead of leading out of the root. Linux's
`openat2(RESOLVE_BENEATH)` does this in one call, but Python does not expose it.

The same module maps the `OSError`s of these calls to the error taxonomy, in one place.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mcp_server.errors import (
    AlreadyExistsError,
    InvalidArgumentsError,
    NotFoundError,
    PathOutsideRootsError,
    PermissionDeniedError,
    ResourceLimitError,
    ToolServerError,
)
from mcp_server.security.paths import containing_root

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO must not hang the call; regular files ignore the flag.
FILE_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 200 else raw[:200] + "...")


_ERRNO_ERRORS: dict[int, tuple[type[ToolServerError], str]] = {
    errno.ENOENT: (NotFoundError, "{path} does not exist; list_directory shows what is there"),
    errno.ENOTDIR: (NotFoundError, "{path} (or a component of it) is not a directory"),
    errno.EEXIST: (AlreadyExistsError, "{path} already exists"),
    errno.EACCES: (PermissionDeniedError, "the operating system denied access to {path}"),
    errno.EPERM: (PermissionDeniedError, "the operating system denied access to {path}"),
    errno.EROFS: (PermissionDeniedError, "{path} is on a read-only filesystem"),
    errno.ELOOP: (PathOutsideRootsError, "{path} crosses a symlink that changed or loops; refused"),
    errno.EISDIR: (InvalidArgumentsError, "{path} is a directory; use list_directory or a file path"),
    errno.ENOTEMPTY: (InvalidArgumentsError, "directory {path} is not empty"),
    errno.ENAMETOOLONG: (InvalidArgumentsError, "a name in {path} is too long for the filesystem"),
    errno.EXDEV: (InvalidArgumentsError, "{path} is on another filesystem; moving across filesystems is not supported"),
    errno.ENOSPC: (ResourceLimitError, "the filesystem refused {path}: {reason}"),
    errno.EDQUOT: (ResourceLimitError, "the filesystem refused {path}: {reason}"),
    errno.EFBIG: (ResourceLimitError, "the filesystem refused {path}: {reason}"),
    errno.ENOMEM: (ResourceLimitError, "the filesystem refused {path}: {reason}"),
}


def translate_os_error(exc: OSError, raw: str) -> ToolServerError | None:
    """The taxonomy error for a filesystem failure on the client's path `raw`, or None.

    None means the errno is unexpected; the caller re-raises the original so it becomes
    `internal_error` with the stack trace on the span.
    """
    entry = _ERRNO_ERRORS.get(exc.errno) if exc.errno is not None else None
    if entry is None:
        return None
    error_class, template = entry
    return error_class(template.format(path=_shown(raw), reason=os.strerror(exc.errno or 0)))


@contextmanager
def os_errors(raw: str) -> Iterator[None]:
    """Turn known `OSError`s raised inside the block into taxonomy errors about `raw`."""
    try:
        yield
    except OSError as exc:
        translated = translate_os_error(exc, raw)
        if translated is None:
            raise
        raise translated from exc


def _open_child_directory(parent_fd: int, name: str, create: bool) -> int:
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except FileNotFoundError:
        if not create:
            raise
    try:
        os.mkdir(name, 0o777, dir_fd=parent_fd)
    except FileExistsError:
        pass  # created meanwhile by someone else: open it below like any directory
    return os.open(name, DIR_FLAGS, dir_fd=parent_fd)


def _root_for(path: Path, roots: Sequence[Path]) -> str:
    root = containing_root(str(path), [str(r) for r in roots])
    if root is None:
        msg = "path is outside the allowed roots"
        raise PathOutsideRootsError(msg)
    return root


@contextmanager
def open_directory(path: Path, roots: Sequence[Path], *, create: bool = False) -> Iterator[int]:
    """A descriptor of the directory `path`, reached from its root without following symlinks.

    Args:
        path: a path returned by `validate_path` (absolute, inside a root).
        roots: the allowed roots.
        create: make missing directories on the way (like `mkdir -p`).

    Yields:
        The directory's file descriptor, closed when the block ends.

    Raises:
        OSError: ENOENT, ENOTDIR, ELOOP (a component is a symlink) and others; callers wrap
            this in `os_errors`.
    """
    root = _root_for(path, roots)
    fd = os.open(root, DIR_FLAGS)
    try:
        for part in path.relative_to(root).parts:
            child = _open_child_directory(fd, part, create)
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


@contextmanager
def open_parent(path: Path, roots: Sequence[Path], *, create: bool = False) -> Iterator[tuple[int, str]]:
    """The descriptor of `path`'s parent directory and `path`'s last component.

    Operations then act on `(dir_fd, name)` with `*at` calls, so the last component is never
    followed either. `path` must not be a root itself (callers refuse that first).
    """
    with open_directory(path.parent, roots, create=create) as dir_fd:
        yield dir_fd, path.name


@contextmanager
def open_file_at(dir_fd: int, name: str) -> Iterator[tuple[int, os.stat_result]]:
    """Open the regular file `name` in a directory for reading; yields the descriptor and `fstat`.

    Raises:
        InvalidArgumentsError: it is a directory, a FIFO, a device or a socket.
        OSError: ENOENT, ELOOP when the file itself became a symlink, ...
    """
    fd = os.open(name, FILE_READ_FLAGS, dir_fd=dir_fd)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            kind = "a directory" if stat.S_ISDIR(status.st_mode) else "not a regular file"
            msg = f"{name!r} is {kind}; this tool works on regular files"
            raise InvalidArgumentsError(msg)
        yield fd, status
    finally:
        os.close(fd)


@contextmanager
def open_regular_file(path: Path, roots: Sequence[Path]) -> Iterator[tuple[int, os.stat_result]]:
    """`open_file_at` for a validated path (not a root), reached through `open_parent`."""
    with open_parent(path, roots) as (dir_fd, name), open_file_at(dir_fd, name) as opened:
        yield opened
