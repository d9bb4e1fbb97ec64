"""Atomic file replacement: a temporary file in the same directory, fsync, then rename.

Readers see the old bytes or the new bytes, never a mix: the new content is written to a
temporary file beside the target (same filesystem, so the rename is atomic), flushed to disk,
then renamed over the target. Every call is relative to a directory descriptor from
`anchored.open_parent`, so neither name is resolved through a symlink.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat

from mcp_server.errors import InvalidArgumentsError

TEMP_PREFIX = ".mcp-write-"
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# Filesystems without hard links answer these; `create` then falls back to check-and-rename.
_NO_LINK_ERRNOS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK})


def existing_status(dir_fd: int, name: str) -> os.stat_result | None:
    """`lstat` of `name` in the directory, or None when it does not exist."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _check_replaceable(status: os.stat_result, name: str) -> None:
    if stat.S_ISLNK(status.st_mode):
        raise OSError(errno.ELOOP, "symlink appeared after validation", name)
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", name)
    if not stat.S_ISREG(status.st_mode):
        msg = f"{name!r} is not a regular file; only regular files are written"
        raise InvalidArgumentsError(msg)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _keep_identity(fd: int, status: os.stat_result) -> None:
    """Give the new file the old one's permission bits and, when allowed, its owner."""
    os.fchmod(fd, stat.S_IMODE(status.st_mode))
    if (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, status.st_uid, status.st_gid)
        except PermissionError:
            pass  # only root may give a file away; the file then belongs to the server's user


def _discard(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def _publish(dir_fd: int, temp_name: str, name: str, exclusive: bool) -> None:
    if not exclusive:
        os.replace(temp_name, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return
    # link(2) fails with EEXIST when the target exists: an atomic "create, never replace".
    try:
        os.link(temp_name, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in _NO_LINK_ERRNOS:
            raise
        if existing_status(dir_fd, name) is not None:
            raise FileExistsError(errno.EEXIST, "exists", name) from exc
        os.replace(temp_name, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    _discard(dir_fd, temp_name)


def write_atomic(dir_fd: int, name: str, data: bytes, *, exclusive: bool = False) -> bool:
    """Write `data` as `name` in the directory atomically, keeping an existing file's mode.

    Args:
        dir_fd: descriptor of the target's directory.
        name: the target's last component.
        data: the complete new content.
        exclusive: refuse an existing target (`FileExistsError`), race-free.

    Returns:
        True when the file was created, False when an existing file was replaced.

    Raises:
        OSError: EEXIST (exclusive), EISDIR, ELOOP (a symlink appeared), ENOSPC, ...
        InvalidArgumentsError: the target is a FIFO, socket or device.
    """
    status = existing_status(dir_fd, name)
    if status is not None:
        if exclusive:
            raise FileExistsError(errno.EEXIST, "exists", name)
        _check_replaceable(status, name)
    temp_name = TEMP_PREFIX + secrets.token_hex(8)
    fd = os.open(temp_name, _CREATE_FLAGS, 0o666, dir_fd=dir_fd)
    try:
        try:
            _write_all(fd, data)
            if status is not None:
                _keep_identity(fd, status)
            os.fsync(fd)
        finally:
            os.close(fd)
        _publish(dir_fd, temp_name, name, exclusive)
    except BaseException:
        _discard(dir_fd, temp_name)
        raise
    os.fsync(dir_fd)  # make the rename itself durable
    return status is None
