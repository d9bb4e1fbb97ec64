"""Near-miss tables for the pure containment check, grouped by threat, and wrapper edge cases.

Complements `test_paths.py` (basic containment and the wrapper's main refusals).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcp_server.errors import PathOutsideRootsError
from mcp_server.security.paths import containing_root, is_root, is_within_roots, validate_path

ROOTS = ["/srv/root", "/data/projects"]


class TestTraversal:
    @pytest.mark.parametrize(
        "path",
        ["/srv/root/..", "/srv/root/../etc/passwd", "/srv/root/a/../../x", "/srv/root/./../root2", "/srv/root/a/b/../../../"],
    )
    def test_dot_dot_that_climbs_out_is_outside(self, path: str) -> None:
        """`..` is normalised before the check, so climbing out of the root is refused."""
        assert not is_within_roots(path, ROOTS)

    @pytest.mark.parametrize("path", ["/srv/root/a/../b", "/srv/root/./x", "/srv/root/a/b/../.."])
    def test_dot_dot_that_stays_inside_is_inside(self, path: str) -> None:
        """`..` that stays within the root is allowed."""
        assert is_within_roots(path, ROOTS)


class TestSiblingPrefix:
    @pytest.mark.parametrize("path", ["/srv/root2", "/srv/root2/file", "/srv/rootx", "/srv/roo", "/srv/root-old/a", "/data/projects2"])
    def test_a_sibling_sharing_the_prefix_is_outside(self, path: str) -> None:
        """Containment is by whole components: `/srv/root2` is not inside `/srv/root`."""
        assert not is_within_roots(path, ROOTS)

    def test_the_innermost_matching_root_is_chosen(self) -> None:
        """With nested roots, the deepest root that contains the path is the anchor."""
        assert containing_root("/srv/root/inner/x", ["/srv/root", "/srv/root/inner"]) == "/srv/root/inner"


class TestNullBytesAndMalformedInput:
    @pytest.mark.parametrize("path", ["/srv/root/a\x00b", "/srv/root\x00/../../etc", "\x00"])
    def test_nul_bytes_are_outside(self, path: str) -> None:
        """A NUL byte anywhere denies (C APIs would truncate the path there)."""
        assert not is_within_roots(path, ROOTS)

    @pytest.mark.parametrize("path", ["", "relative/path", "srv/root", None, 42, b"/srv/root"])
    def test_relative_empty_or_non_string_is_outside(self, path: object) -> None:
        """The check is total: malformed input returns False, never raises."""
        assert not is_within_roots(path, ROOTS)  # type: ignore[arg-type]

    @pytest.mark.parametrize("roots", [[], [""], ["relative"], ["/srv/root\x00"], [None]])
    def test_malformed_roots_contain_nothing(self, roots: list[object]) -> None:
        """A bad root entry is skipped rather than widening access."""
        assert not is_within_roots("/srv/root/file", roots)  # type: ignore[arg-type]


class TestSeparators:
    @pytest.mark.parametrize("path", ["/srv/root/", "/srv/root//", "/srv/root/a/", "/srv//root/a", "/srv/root/./a"])
    def test_trailing_and_doubled_separators_inside_are_inside(self, path: str) -> None:
        """Redundant separators do not change containment."""
        assert is_within_roots(path, ROOTS)

    @pytest.mark.parametrize("path", ["//..", "///..", "//srv/root/a", "//"])
    def test_leading_double_slash_forms_are_outside(self, path: str) -> None:
        """`//..` and POSIX's implementation-defined `//` prefix never match a root."""
        assert not is_within_roots(path, ROOTS)


class TestUnicode:
    @pytest.mark.parametrize(
        "path",
        [
            "/srv/r\u043e\u043et/file",  # Cyrillic o: a homoglyph sibling
            "/srv/root\u0301/file",  # combining accent makes another name
            "/srv/\uff52oot/file",  # fullwidth r
            "/srv/root\u2215..\u2215etc",  # division slash: one sibling name "root∕..∕etc"
        ],
    )
    def test_lookalike_names_are_different_directories(self, path: str) -> None:
        """Names are compared as exact code points: a lookalike is not the root."""
        assert not is_within_roots(path, ROOTS)

    def test_lookalike_separator_inside_the_root_stays_a_single_name(self) -> None:
        """U+2215 inside the root is one odd file name, still inside."""
        assert is_within_roots("/srv/root/a\u2215..\u2215..\u2215etc", ROOTS)


class TestIsRoot:
    def test_a_root_is_itself_and_its_children_are_not(self) -> None:
        """`is_root` tells the root itself (refused for delete) from what is inside it."""
        assert is_root("/srv/root/", ROOTS)
        assert is_root("/srv/root/a/..", ROOTS)
        assert not is_root("/srv/root/a", ROOTS)
        assert not is_root("/srv", ROOTS)


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """An allowed root and an outside directory holding a secret."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "inside.txt").write_text("fine")
    return root.resolve(), outside.resolve()


def _symlink(link: Path, target: Path | str) -> None:
    try:
        os.symlink(target, link)
    except (OSError, NotImplementedError):
        pytest.skip("this platform cannot create symlinks")


class TestValidatePathSymlinks:
    def test_allow_dangling_returns_a_live_link_itself_not_its_outside_target(self, tree: tuple[Path, Path]) -> None:
        """For delete and move, a link pointing out is the object itself (inside), not its target."""
        root, outside = tree
        _symlink(root / "link", outside / "secret.txt")
        assert validate_path("link", [root], allow_dangling=True) == root / "link"
        with pytest.raises(PathOutsideRootsError):
            validate_path("link", [root])

    def test_a_symlink_inside_the_root_is_resolved_to_its_target(self, tree: tuple[Path, Path]) -> None:
        """Links that stay inside are fine and resolve to the real file."""
        root, _outside = tree
        _symlink(root / "alias", root / "inside.txt")
        assert validate_path("alias", [root]) == root / "inside.txt"

    def test_proc_self_root_is_outside(self, tree: tuple[Path, Path]) -> None:
        """`/proc/self/root/<root>/...` is refused before resolution: it is not under the root."""
        root, _outside = tree
        with pytest.raises(PathOutsideRootsError):
            validate_path(f"/proc/self/root{root}/inside.txt", [root])

    def test_nul_byte_is_refused_with_path_outside_roots(self, tree: tuple[Path, Path]) -> None:
        """NUL bytes never reach the filesystem."""
        root, _outside = tree
        with pytest.raises(PathOutsideRootsError):
            validate_path("inside.txt\x00.png", [root])
