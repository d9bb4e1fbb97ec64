"""Describing what is on disk: directory entries and file metadata, from anchored descriptors."""

from __future__ import annotations

import grp
import mimetypes
import os
import pwd
import stat
from datetime import UTC, datetime
from typing import Any


def entry_type(mode: int) -> str:
    """`file`, `directory`, `symlink` or `other` (FIFO, socket, device) for an `lstat` mode."""
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def iso_time(timestamp: float) -> str:
    """A POSIX timestamp as ISO 8601 in UTC."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _entry(entry: os.DirEntry[str]) -> dict[str, Any]:
    try:
        status = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        return {"name": entry.name, "type": "vanished", "size_bytes": None, "modified": None}
    kind = entry_type(status.st_mode)
    return {
        "name": entry.name,
        "type": kind,
        "size_bytes": status.st_size if kind == "file" else None,
        "modified": iso_time(status.st_mtime),
    }


def list_entries(dir_fd: int, *, include_hidden: bool, limit: int) -> dict[str, Any]:
    """The directory's entries sorted by name (symlinks are reported, not followed).

    Args:
        dir_fd: an anchored directory descriptor (`os.scandir` works on a duplicate of it).
        include_hidden: include names starting with a dot.
        limit: most entries to describe; `total_entries` counts them all.
    """
    with os.scandir(dir_fd) as scan:
        entries = [entry for entry in scan if include_hidden or not entry.name.startswith(".")]
    entries.sort(key=lambda entry: entry.name)
    return {
        "entries": [_entry(entry) for entry in entries[:limit]],
        "total_entries": len(entries),
        "truncated": len(entries) > limit,
    }


def _name_of(lookup: Any, ident: int) -> str | None:
    try:
        return str(lookup(ident)[0])
    except KeyError:
        return None


def describe_status(status: os.stat_result, name: str) -> dict[str, Any]:
    """Metadata of one `lstat` result, as file_info returns it."""
    kind = entry_type(status.st_mode)
    return {
        "type": kind,
        "size_bytes": status.st_size,
        "mode": oct(stat.S_IMODE(status.st_mode)),
        "permissions": stat.filemode(status.st_mode),
        "uid": status.st_uid,
        "gid": status.st_gid,
        "owner": _name_of(pwd.getpwuid, status.st_uid),
        "group": _name_of(grp.getgrgid, status.st_gid),
        "modified": iso_time(status.st_mtime),
        "accessed": iso_time(status.st_atime),
        "changed": iso_time(status.st_ctime),
        "inode": status.st_ino,
        "hard_links": status.st_nlink,
        "mime_type": mimetypes.guess_type(name)[0] if kind == "file" else None,
    }
