"""Atomic writes: readers never see a mix, modes are kept, `create` never replaces, no temp left."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mcp_server.filesystem.atomic import TEMP_PREFIX, write_atomic

OLD = b"a" * 200_000
NEW = b"b" * 300_000 + b"\n"


@contextmanager
def directory_fd(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield fd
    finally:
        os.close(fd)


class TestWriteAtomic:
    def test_concurrent_readers_never_see_a_half_written_file(self, tmp_path: Path) -> None:
        """During 80 alternating overwrites, every read returns the old or the new bytes whole."""
        target = tmp_path / "data.bin"
        target.write_bytes(OLD)
        seen: list[int] = []
        bad: list[int] = []
        done = threading.Event()

        def reader() -> None:
            while not done.is_set():
                data = target.read_bytes()
                seen.append(len(data))
                if data not in (OLD, NEW):
                    bad.append(len(data))

        readers = [threading.Thread(target=reader) for _ in range(3)]
        for thread in readers:
            thread.start()
        with directory_fd(tmp_path) as dir_fd:
            for index in range(80):
                write_atomic(dir_fd, "data.bin", NEW if index % 2 == 0 else OLD)
        done.set()
        for thread in readers:
            thread.join()
        assert bad == [], f"torn reads of sizes {sorted(set(bad))[:5]}"
        assert len(seen) > 0

    def test_an_existing_files_permission_bits_are_kept(self, tmp_path: Path) -> None:
        """Replacing a 0640 file leaves a 0640 file (umask does not apply to replacements)."""
        target = tmp_path / "script.sh"
        target.write_text("old")
        target.chmod(0o750)
        with directory_fd(tmp_path) as dir_fd:
            created = write_atomic(dir_fd, "script.sh", b"new")
        assert created is False
        assert stat.S_IMODE(target.stat().st_mode) == 0o750
        assert target.read_bytes() == b"new"

    def test_exclusive_refuses_an_existing_file_and_leaves_it_alone(self, tmp_path: Path) -> None:
        """`create` mode raises FileExistsError and the old content stays."""
        target = tmp_path / "keep.txt"
        target.write_text("original")
        with directory_fd(tmp_path) as dir_fd, pytest.raises(FileExistsError):
            write_atomic(dir_fd, "keep.txt", b"intruder", exclusive=True)
        assert target.read_text() == "original"
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]

    def test_exclusive_creates_a_new_file(self, tmp_path: Path) -> None:
        """`create` mode on a free name writes the file and reports created."""
        with directory_fd(tmp_path) as dir_fd:
            assert write_atomic(dir_fd, "new.txt", b"hello", exclusive=True) is True
        assert (tmp_path / "new.txt").read_bytes() == b"hello"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["new.txt"]

    def test_a_directory_target_is_refused_and_no_temp_file_remains(self, tmp_path: Path) -> None:
        """Writing over a directory fails with EISDIR, leaving no temporary file behind."""
        (tmp_path / "adir").mkdir()
        with directory_fd(tmp_path) as dir_fd, pytest.raises(IsADirectoryError):
            write_atomic(dir_fd, "adir", b"x")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["adir"]

    def test_a_symlink_target_is_refused_not_followed(self, tmp_path: Path) -> None:
        """If the final name became a symlink after validation, the write fails (ELOOP)."""
        outside = tmp_path / "outside.txt"
        outside.write_text("untouched")
        work = tmp_path / "work"
        work.mkdir()
        (work / "target").symlink_to(outside)
        with directory_fd(work) as dir_fd, pytest.raises(OSError, match="symlink"):
            write_atomic(dir_fd, "target", b"overwrite")
        assert outside.read_text() == "untouched"
