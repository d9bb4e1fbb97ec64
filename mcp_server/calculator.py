"""Safe arithmetic: parse with `ast`, walk a whitelist of nodes, bound every costly operation.

No `eval`, no attribute access, no names but the listed constants and functions. Costs are
bounded before they are paid: the expression length and node count, nesting depth, integer
sizes (in bits) before a power, product or shift is computed, factorial arguments, and the
digits of the result. Anything else is `InvalidArgumentsError` or `ResourceLimitError`.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from mcp_server.errors import InvalidArgumentsError, ResourceLimitError

MAX_EXPRESSION_CHARS = 2000
MAX_NODES = 500
MAX_DEPTH = 60
MAX_INT_BITS = 20_000  # about 6000 decimal digits
MAX_FACTORIAL = 2000
MAX_RESULT_DIGITS = 4000

Number = int | float | complex

CONSTANTS: dict[str, Number] = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}


def _factorial(n: Number) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        msg = "factorial() needs a non-negative integer"
        raise InvalidArgumentsError(msg)
    if n > MAX_FACTORIAL:
        msg = f"factorial() argument is limited to {MAX_FACTORIAL}"
        raise ResourceLimitError(msg)
    return math.factorial(n)


def _round(x: Number, ndigits: int | None = None) -> Number:
    # round(n, -10**9) would build 10**(10**9) first.
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > 308):
        msg = "round() digits must be an integer between -308 and 308"
        raise InvalidArgumentsError(msg)
    return round(x, ndigits)  # type: ignore[arg-type]


def _log(x: Number, base: Number | None = None) -> float:
    return math.log(x) if base is None else math.log(x, base)


FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "cbrt": math.cbrt,
    "exp": math.exp,
    "log": _log,
    "log10": math.log10,
    "log2": math.log2,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "hypot": math.hypot,
    "degrees": math.degrees,
    "radians": math.radians,
    "floor": math.floor,
    "ceil": math.ceil,
    "trunc": math.trunc,
    "gcd": math.gcd,
    "lcm": math.lcm,
    "factorial": _factorial,
    "comb": math.comb,
    "perm": math.perm,
}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Number]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Invert: operator.invert,
}


def _bits(value: Number) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _check_binary_cost(op: ast.operator, left: Number, right: Number) -> None:
    """Refuse integer operations whose result would exceed MAX_INT_BITS, before running them."""
    if not (isinstance(left, int) and isinstance(right, int)):
        if isinstance(op, ast.Pow) and isinstance(right, int | float) and abs(right) > 1e6 and abs(left) > 1:
            msg = "exponent too large"
            raise ResourceLimitError(msg)
        return
    if isinstance(op, ast.Pow):
        if right > 0 and abs(left) > 1 and _bits(left) * right > MAX_INT_BITS:
            msg = f"result of ** would exceed {MAX_INT_BITS} bits; use a float base for an estimate"
            raise ResourceLimitError(msg)
    elif isinstance(op, ast.Mult):
        if _bits(left) + _bits(right) > MAX_INT_BITS:
            msg = f"product would exceed {MAX_INT_BITS} bits"
            raise ResourceLimitError(msg)
    elif isinstance(op, ast.LShift) and right > 0 and _bits(left) + right > MAX_INT_BITS:
        msg = f"shift would exceed {MAX_INT_BITS} bits"
        raise ResourceLimitError(msg)


class _Evaluator:
    def __init__(self) -> None:
        self.nodes = 0

    def eval(self, node: ast.AST, depth: int = 0) -> Number:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            msg = f"expression has more than {MAX_NODES} parts"
            raise ResourceLimitError(msg)
        if depth > MAX_DEPTH:
            msg = f"expression nests deeper than {MAX_DEPTH} levels"
            raise ResourceLimitError(msg)
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        if method is None:
            msg = f"{type(node).__name__} is not allowed; use numbers, operators and the listed functions"
            raise InvalidArgumentsError(msg)
        return method(node, depth + 1)

    def _eval_Expression(self, node: ast.Expression, depth: int) -> Number:  # noqa: N802
        return self.eval(node.body, depth)

    def _eval_Constant(self, node: ast.Constant, depth: int) -> Number:  # noqa: N802
        if isinstance(node.value, bool) or not isinstance(node.value, int | float | complex):
            msg = f"only numbers are allowed, not {type(node.value).__name__}"
            raise InvalidArgumentsError(msg)
        if isinstance(node.value, int) and _bits(node.value) > MAX_INT_BITS:
            msg = "number literal too large"
            raise ResourceLimitError(msg)
        return node.value

    def _eval_Name(self, node: ast.Name, depth: int) -> Number:  # noqa: N802
        if node.id not in CONSTANTS:
            msg = f"unknown name {node.id!r}; constants: {', '.join(CONSTANTS)}"
            raise InvalidArgumentsError(msg)
        return CONSTANTS[node.id]

    def _eval_UnaryOp(self, node: ast.UnaryOp, depth: int) -> Number:  # noqa: N802
        op = _UNARY.get(type(node.op))
        if op is None:
            msg = f"operator {type(node.op).__name__} is not allowed"
            raise InvalidArgumentsError(msg)
        return op(self.eval(node.operand, depth))

    def _eval_BinOp(self, node: ast.BinOp, depth: int) -> Number:  # noqa: N802
        op = _BINARY.get(type(node.op))
        if op is None:
            msg = f"operator {type(node.op).__name__} is not allowed"
            raise InvalidArgumentsError(msg)
        left = self.eval(node.left, depth)
        right = self.eval(node.right, depth)
        _check_binary_cost(node.op, left, right)
        return op(left, right)

    def _eval_Call(self, node: ast.Call, depth: int) -> Number:  # noqa: N802
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
            name = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
            msg = f"function {name!r} is not allowed; functions: {', '.join(FUNCTIONS)}"
            raise InvalidArgumentsError(msg)
        if len(node.args) > 16:
            msg = "too many function arguments"
            raise ResourceLimitError(msg)
        args = [self.eval(arg, depth) for arg in node.args]
        if node.func.id in {"comb", "perm"} and any(isinstance(a, int) and a > MAX_FACTORIAL for a in args):
            msg = f"{node.func.id}() arguments are limited to {MAX_FACTORIAL}"
            raise ResourceLimitError(msg)
        return FUNCTIONS[node.func.id](*args)


def evaluate(expression: str) -> Number:
    """Evaluate an arithmetic expression safely.

    Args:
        expression: e.g. `"2 * (3 + 4) ** 2"`, `"sqrt(2) * sin(pi / 4)"`.

    Returns:
        The value (int, float or complex).

    Raises:
        InvalidArgumentsError: syntax errors, names, attributes, strings, unknown functions,
            math domain errors, division by zero.
        ResourceLimitError: the expression or its result would be too large or deep.
    """
    if len(expression) > MAX_EXPRESSION_CHARS:
        msg = f"expression is longer than {MAX_EXPRESSION_CHARS} characters"
        raise ResourceLimitError(msg)
    if "\x00" in expression:
        msg = "expression contains a NUL byte"
        raise InvalidArgumentsError(msg)
    if expression.count("(") > MAX_DEPTH * 4:
        msg = "expression has too many parentheses"
        raise ResourceLimitError(msg)
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        msg = f"syntax error at column {exc.offset or 0}: {exc.msg}"
        raise InvalidArgumentsError(msg) from exc
    except (RecursionError, MemoryError) as exc:
        msg = "expression is too deeply nested"
        raise ResourceLimitError(msg) from exc
    try:
        value = _Evaluator().eval(tree)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
        msg = f"cannot evaluate: {exc}"
        raise InvalidArgumentsError(msg) from exc
    if isinstance(value, int) and _bits(value) > MAX_RESULT_DIGITS * 3.33:
        msg = f"result has more than {MAX_RESULT_DIGITS} digits"
        raise ResourceLimitError(msg)
    return value
