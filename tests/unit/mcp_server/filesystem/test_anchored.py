"""Anchored opens: a component swapped for a symlink after validation cannot lead out."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from mcp_server.errors import NotFoundError, PathOutsideRootsError, ResourceLimitError
from mcp_server.filesystem.anchored import open_directory, open_parent, open_regular_file, translate_os_error


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    # What validate_path saw as a directory is now a symlink to the outside (the race).
    (root / "swapped").symlink_to(outside)
    return root, outside


class TestNoFollow:
    def test_reading_through_a_swapped_directory_fails_with_eloop(self, layout: tuple[Path, Path]) -> None:
        """A middle component that is a symlink is not traversed (O_NOFOLLOW on each step)."""
        root, _outside = layout
        with pytest.raises(OSError) as caught, open_regular_file(root / "swapped" / "secret.txt", [root]):
            pass
        assert caught.value.errno in (errno.ELOOP, errno.ENOTDIR)

    def test_a_swapped_final_component_is_not_opened(self, layout: tuple[Path, Path]) -> None:
        """The file itself being a symlink is refused too."""
        root, outside = layout
        (root / "file_link").symlink_to(outside / "secret.txt")
        with pytest.raises(OSError) as caught, open_regular_file(root / "file_link", [root]):
            pass
        assert caught.value.errno == errno.ELOOP

    def test_creating_parents_under_a_swapped_directory_creates_nothing_outside(
        self, layout: tuple[Path, Path]
    ) -> None:
        """`mkdir -p` through the anchor stops at the symlink; the outside gets no new directory."""
        root, outside = layout
        with pytest.raises(OSError), open_parent(root / "swapped" / "a" / "b.txt", [root], create=True):
            pass
        assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]

    def test_a_path_outside_every_root_has_no_anchor(self, layout: tuple[Path, Path]) -> None:
        """Called with a path no root contains, the anchor refuses rather than opening it."""
        root, outside = layout
        with pytest.raises(PathOutsideRootsError), open_directory(outside, [root]):
            pass

    def test_directories_inside_are_reached_and_created(self, tmp_path: Path) -> None:
        """The normal case: nested directories are opened, and created when asked."""
        with open_directory(tmp_path / "a" / "b", [tmp_path], create=True) as fd:
            assert os.path.samestat(os.fstat(fd), os.stat(tmp_path / "a" / "b"))


class TestOsErrorTranslation:
    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            (errno.ENOENT, NotFoundError),
            (errno.ELOOP, PathOutsideRootsError),
            (errno.ENOSPC, ResourceLimitError),
        ],
    )
    def test_known_errnos_map_to_the_taxonomy(self, code: int, expected: type) -> None:
        """Each known errno becomes its error type, quoting the client's path only."""
        error = translate_os_error(OSError(code, os.strerror(code)), "client/path.txt")
        assert isinstance(error, expected)
        assert "client/path.txt" in error.message

    def test_unknown_errnos_are_left_to_internal_error(self) -> None:
        """An unexpected errno is not disguised: the caller re-raises it (internal_error)."""
        assert translate_os_error(OSError(errno.EIO, "I/O error"), "x") is None
