"""analyze_code's analysis: structure, radon metrics, syntax errors, other languages."""

from __future__ import annotations

import pytest

from mcp_server.devtools.analysis import MAX_ITEMS, analyze_source, detect_language, line_metrics

SOURCE = '''\
"""Module."""
import os
from collections import abc as a, deque
from . import sibling


class Base(object):
    def simple(self):
        return 1

    async def branchy(self, x, *, flag=False):
        if x and flag:
            return 1
        for item in x:
            if item:
                return item
        return None


@staticmethod
def outer(a, b, /, c):
    def inner():
        return a if b else c
    return inner
'''


class TestPythonAnalysis:
    def test_functions_carry_radon_complexity_and_their_owner(self) -> None:
        """Methods, nested functions and top-level functions each get complexity and a rank."""
        result = analyze_source(SOURCE, "python")
        functions = {f["qualified_name"]: f for f in result["functions"]["items"]}
        assert set(functions) == {"Base.simple", "Base.branchy", "outer", "outer.inner"}
        assert functions["Base.simple"]["complexity"] == 1
        assert functions["Base.branchy"]["complexity"] == 5
        assert functions["Base.branchy"]["is_async"] is True
        assert functions["Base.branchy"]["arguments"] == 3
        assert functions["outer"]["decorators"] == ["staticmethod"]
        assert functions["outer.inner"]["complexity"] == 2
        assert functions["Base.branchy"]["rank"] == "A"
        assert result["complexity"]["max"] == 5

    def test_classes_imports_and_raw_metrics(self) -> None:
        """Classes with bases and method counts, imports in order, radon's raw counts and MI."""
        result = analyze_source(SOURCE, "python")
        assert result["classes"]["items"] == [{"name": "Base", "line": 7, "end_line": 17, "bases": ["object"], "methods": 2}]
        assert [(i["module"], i["names"]) for i in result["imports"]["items"]] == [
            ("os", []),
            ("collections", ["abc", "deque"]),
            (".", ["sibling"]),
        ]
        assert result["raw"]["loc"] == SOURCE.count("\n")
        assert 0 < result["maintainability_index"] <= 100
        assert result["maintainability_rank"] in {"A", "B", "C"}
        assert result["syntax_error"] is None

    def test_a_syntax_error_is_reported_with_line_and_column(self) -> None:
        """Broken code is analysed, not refused: syntax_error has message, line and column."""
        result = analyze_source("x = 1\ndef f(:\n    pass\n", "python")
        assert result["syntax_error"]["line"] == 2
        assert result["syntax_error"]["column"] == 7
        assert result["line_metrics"]["lines"] == 3
        assert "functions" not in result

    @pytest.mark.parametrize("source", ["-" * 100_000 + "1", "(" * 300 + ")" * 300, "a = 1\x00"])
    def test_hostile_sources_become_syntax_errors_not_crashes(self, source: str) -> None:
        """Deep nesting and NUL bytes are reported as syntax errors."""
        assert analyze_source(source, "python")["syntax_error"]["message"]

    def test_long_lists_are_capped(self) -> None:
        """More than MAX_ITEMS functions are counted but not all listed."""
        source = "".join(f"def f{n}():\n    pass\n" for n in range(MAX_ITEMS + 5))
        functions = analyze_source(source, "python")["functions"]
        assert (functions["count"], len(functions["items"]), functions["truncated"]) == (MAX_ITEMS + 5, MAX_ITEMS, True)


class TestOtherLanguages:
    def test_line_metrics_count_comments_by_language(self) -> None:
        """C-like comments for JavaScript, -- for SQL."""
        assert line_metrics("// c\nlet x = 1;\n\n/* b */\n", "javascript") == {
            "lines": 4,
            "blank_lines": 1,
            "comment_lines": 2,
            "code_lines": 1,
            "max_line_length": 10,
            "average_line_length": 5.25,
        }
        assert line_metrics("-- q\nSELECT 1;", "sql")["comment_lines"] == 1

    def test_non_python_gets_line_metrics_only(self) -> None:
        """No structure is claimed for languages we do not parse."""
        assert set(analyze_source("fn main() {}\n", "rust")) == {"language", "line_metrics"}

    @pytest.mark.parametrize(
        ("name", "language", "expected"),
        [("a.py", None, "python"), ("a.TS", None, "typescript"), ("a.unknown", None, "text"), (None, None, "python"), ("a.py", "Go", "go")],
    )
    def test_language_detection(self, name: str | None, language: str | None, expected: str) -> None:
        """Explicit language wins, then the extension; source text defaults to Python."""
        assert detect_language(name, language) == expected
