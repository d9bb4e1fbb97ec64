"""Property-based tests of calculate: no input crashes it, hangs it, or gets past the whitelist."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_server.calculator import evaluate
from mcp_server.errors import InvalidArgumentsError, ResourceLimitError, ToolServerError

_ATOMS = st.sampled_from(["1", "2", "9", "0", "0.5", "1e308", "2j", "pi", "e", "inf", "x", "__import__", "'a'", "()", "[]"])
_OPS = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", ".", ",", " if ", " and "])
_FUNCS = st.sampled_from(["sqrt", "factorial", "comb", "round", "log", "max", "exec", "getattr", "open"])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    """Random mixtures of allowed and forbidden syntax, nested a few levels."""
    if depth > 4 or draw(st.booleans()):
        return draw(_ATOMS)
    kind = draw(st.integers(0, 3))
    left = draw(expressions(depth + 1))
    right = draw(expressions(depth + 1))
    if kind == 0:
        return f"{left}{draw(_OPS)}{right}"
    if kind == 1:
        return f"({left})"
    if kind == 2:
        return f"{draw(_FUNCS)}({left}, {right})"
    return f"-{left}"


class TestCalculateProperties:
    @settings(max_examples=400, deadline=None)
    @given(expressions())
    def test_structured_expressions_give_a_number_or_a_typed_error(self, expression: str) -> None:
        """Every generated expression yields a number or one of our two error types, nothing else."""
        try:
            value = evaluate(expression)
        except (InvalidArgumentsError, ResourceLimitError):
            return
        assert isinstance(value, int | float | complex)
        if isinstance(value, int):
            assert value.bit_length() <= 14_000

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=300))
    def test_arbitrary_text_never_escapes_the_taxonomy(self, text: str) -> None:
        """Random unicode (NULs, quotes, newlines, dunder names) never raises anything else."""
        try:
            evaluate(text)
        except ToolServerError:
            pass

    @settings(max_examples=200, deadline=None)
    @given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
    def test_integer_arithmetic_matches_python(self, a: int, b: int) -> None:
        """Where Python's own result is small, calculate agrees with it exactly."""
        assert evaluate(f"({a}) + ({b}) * 3") == a + b * 3
        if b != 0:
            assert evaluate(f"({a}) // ({b})") == a // b
            assert math.isclose(evaluate(f"({a}) / ({b})"), a / b)
