"""Property-based tests of path confinement: nothing generated gets outside the root."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_server.errors import InvalidArgumentsError, PathOutsideRootsError
from mcp_server.security.paths import is_within_roots, validate_path

_PARTS = st.sampled_from(["a", "b", "..", ".", "", "root", "root2", "link_out", "dangling", "\x00", "é", "~", "*", "/"])


def _paths() -> st.SearchStrategy[str]:
    return st.lists(_PARTS, min_size=1, max_size=8).map(lambda parts: "/".join(parts))


class TestPathProperties:
    @settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
    @given(raw=_paths(), absolute=st.booleans())
    def test_a_resolved_path_is_always_inside_the_root(self, tmp_path: Path, raw: str, absolute: bool) -> None:
        """Whatever is asked, validate_path returns a path inside the root or refuses."""
        root = tmp_path / "root"
        if not root.exists():
            root.mkdir()
            (tmp_path / "root2").mkdir()
            (root / "a").mkdir()
            os.symlink(tmp_path / "root2", root / "link_out")
            os.symlink(tmp_path / "nowhere", root / "dangling")
        candidate = (str(tmp_path) + "/" + raw) if absolute else raw
        try:
            resolved = validate_path(candidate, [root.resolve()])
        except (PathOutsideRootsError, InvalidArgumentsError):
            return
        real = os.path.realpath(resolved)
        assert real == str(root.resolve()) or real.startswith(str(root.resolve()) + os.sep)

    @settings(max_examples=500, deadline=None)
    @given(st.text(max_size=60), st.text(min_size=1, max_size=20))
    def test_the_pure_check_never_raises(self, path: str, root: str) -> None:
        """is_within_roots is total: any text in, a bool out."""
        assert is_within_roots(path, [root]) in (True, False)
        assert is_within_roots("/" + path, ["/" + root]) in (True, False)
