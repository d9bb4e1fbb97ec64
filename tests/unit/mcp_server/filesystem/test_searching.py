"""search_files matching: the glob semantics and the RE2 content patterns."""

from __future__ import annotations

import pytest

from mcp_server.errors import InvalidArgumentsError
from mcp_server.filesystem.searching import compile_content_regex, compile_glob


class TestGlob:
    @pytest.mark.parametrize(
        ("pattern", "path", "expected"),
        [
            ("*.py", "a.py", True),
            ("*.py", "deep/dir/a.py", True),
            ("*.py", "a.pyc", False),
            ("test_*", "pkg/test_x.py", True),
            ("src/*.py", "src/a.py", True),
            ("src/*.py", "src/sub/a.py", False),
            ("src/**/*.py", "src/a.py", True),
            ("src/**/*.py", "src/x/y/z/a.py", True),
            ("src/**/*.py", "lib/src/a.py", False),
            ("**/conf/*.toml", "conf/a.toml", True),
            ("**/conf/*.toml", "x/y/conf/a.toml", True),
            ("*.PY", "a.py", False),
        ],
    )
    def test_glob_semantics(self, pattern: str, path: str, expected: bool) -> None:
        """Without '/', names match at any depth; with '/', the path matches by segment, ** spans dirs."""
        assert compile_glob(pattern)(path) is expected

    def test_many_double_stars_stay_fast_enough_to_finish(self) -> None:
        """A pathological pattern is memoised, not exponential (finishes with an answer)."""
        pattern = "/".join(["**"] * 60 + ["x"])
        assert compile_glob(pattern)("/".join(["a"] * 60)) is False


class TestContentRegex:
    def test_a_catastrophic_backtracking_pattern_runs_in_linear_time(self) -> None:
        """RE2 answers `(a+)+$` on a long non-matching line at once (Python's re would hang)."""
        regex = compile_content_regex("(a+)+$", case_sensitive=True)
        assert regex.search("a" * 100_000 + "!") is None

    def test_case_insensitive_matching(self) -> None:
        """case_sensitive=False matches across case."""
        assert compile_content_regex("HeLLo", case_sensitive=False).search("say hello") is not None

    @pytest.mark.parametrize("pattern", ["(", r"(a)\1", r"(?<=x)y"])
    def test_invalid_or_unsupported_syntax_is_invalid_arguments(self, pattern: str) -> None:
        """Bad syntax, backreferences and lookbehind are refused with a clear message."""
        with pytest.raises(InvalidArgumentsError, match="RE2"):
            compile_content_regex(pattern, case_sensitive=True)
