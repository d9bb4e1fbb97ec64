"""PromQL inspection for the stack tests, on the `promql-parser` AST (a real PromQL parser).

Two questions the tests ask of dashboard and alert expressions: which metrics does it read,
and, for an alert, what is the expression under its threshold (an alert expression such as
`ratio > 0.05` selects nothing until it fires, so the tests evaluate `ratio` instead).
"""

from __future__ import annotations

from typing import Any

import promql_parser

_COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_SET_OPERATORS = frozenset({"and", "or", "unless"})


def parse(expr: str) -> Any:
    """The AST of `expr` (raises ValueError-like errors from the parser on bad syntax)."""
    return promql_parser.parse(expr)


def vector_selectors(expr: str) -> list[Any]:
    """Every vector selector in `expr`, including those inside range selectors."""
    found: list[Any] = []

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        return True

    promql_parser.walk(parse(expr), visit)
    return found


def metric_names(expr: str) -> set[str]:
    """Names of the metrics `expr` reads (series names such as `mcp_tool_duration_seconds_bucket`)."""
    return {selector.name for selector in vector_selectors(expr) if selector.name}


def matchers(selector: Any) -> dict[str, tuple[str, str]]:
    """Label matchers of one vector selector: label -> (operator, value), operator as in PromQL."""
    operators = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}
    return {
        matcher.name: (operators[str(matcher.op).rsplit(".", 1)[-1]], matcher.value)
        for matcher in selector.matchers.matchers
    }


def _is_scalar(node: Any) -> bool:
    if isinstance(node, promql_parser.NumberLiteral):
        return True
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
        return _is_scalar(node.expr)
    if isinstance(node, promql_parser.BinaryExpr):
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    return False


def _underlying(node: Any) -> list[Any]:
    if isinstance(node, promql_parser.ParenExpr):
        return _underlying(node.expr)
    if isinstance(node, promql_parser.BinaryExpr):
        operator = str(node.op)
        if operator in _SET_OPERATORS:
            return _underlying(node.lhs) + _underlying(node.rhs)
        returns_bool = node.modifier is not None and node.modifier.return_bool
        if operator in _COMPARISONS and not returns_bool:
            if _is_scalar(node.rhs):
                return _underlying(node.lhs)
            if _is_scalar(node.lhs):
                return _underlying(node.rhs)
    return [node]


def underlying_expressions(expr: str) -> list[str]:
    """The operands an alert expression compares with thresholds, as PromQL strings.

    `(a / b) > 0.05 and c > 1/60` gives `a / b` and `c`: each selects data while the server
    runs, whether or not the alert fires. Comparisons between two vectors are kept whole.
    """
    return [str(node) for node in _underlying(parse(expr))]
