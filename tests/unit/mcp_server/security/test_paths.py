"""Path confinement: the pure containment check, grouped by threat, and the resolving wrapper."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcp_server.errors import InvalidArgumentsError, PathOutsideRootsError
from mcp_server.security.paths import is_within_roots, validate_path


class TestPureContainment:
    @pytest.mark.parametrize(
        ("path", "inside"),
        [
            ("/root", True),
            ("/root/a/b", True),
            ("/root/", True),
            ("/root2", False),
            ("/root2/a", False),
            ("/roo", False),
            ("/root/../etc", False),
            ("/root/a/../../etc", False),
            ("/", False),
            ("root/a", False),
            ("", False),
            ("/root/\x00", False),
        ],
    )
    def test_containment_is_by_whole_component(self, path: str, inside: bool) -> None:
        """Sibling prefixes, traversal, relative paths and NUL bytes are not inside."""
        assert is_within_roots(path, ["/root"]) is inside

    def test_malformed_roots_contain_nothing(self) -> None:
        """A relative or empty root never matches (total function, no exception)."""
        assert is_within_roots("/a", ["", "a", "\x00"]) is False


class TestValidatePath:
    def test_relative_paths_resolve_under_the_first_root(self, tmp_path: Path) -> None:
        """'a/b.txt' is the first root's a/b.txt, even if it does not exist yet."""
        assert validate_path("a/b.txt", [tmp_path]) == tmp_path / "a" / "b.txt"

    def test_symlinks_out_of_the_root_are_refused(self, tmp_path: Path) -> None:
        """A link inside the root pointing outside is refused, also as a parent directory."""
        root = tmp_path / "root"
        root.mkdir()
        os.symlink(tmp_path, root / "up")
        for raw in ("up", "up/x.txt", "up/new/dir/file"):
            with pytest.raises(PathOutsideRootsError):
                validate_path(raw, [root])

    def test_a_dangling_symlink_as_last_component_is_refused(self, tmp_path: Path) -> None:
        """A link to nowhere could be created later: refused (unless deleting the link itself)."""
        os.symlink(tmp_path / "missing", tmp_path / "dangling")
        with pytest.raises(PathOutsideRootsError):
            validate_path("dangling", [tmp_path])
        assert validate_path("dangling", [tmp_path], allow_dangling=True) == tmp_path / "dangling"

    def test_error_messages_do_not_reveal_the_roots(self, tmp_path: Path) -> None:
        """The message names the path asked for, not the allowed roots."""
        with pytest.raises(PathOutsideRootsError) as caught:
            validate_path("/etc/passwd", [tmp_path])
        assert str(tmp_path) not in caught.value.message

    @pytest.mark.parametrize("raw", ["", "   ", "a" * 5000])
    def test_empty_and_huge_paths_are_invalid_arguments(self, tmp_path: Path, raw: str) -> None:
        """Blank or over-long paths are invalid_arguments."""
        with pytest.raises(InvalidArgumentsError):
            validate_path(raw, [tmp_path])
