"""analyze_code's work: Python structure (ast) and metrics (radon); line metrics for the rest.

radon gives cyclomatic complexity per function, the maintainability index and raw counts
(LOC, LLOC, SLOC, comments); `ast` gives functions, classes, imports and the position of a
syntax error. Other languages get language-aware line counts only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from radon.complexity import cc_rank, cc_visit_ast
from radon.metrics import mi_rank, mi_visit
from radon.raw import analyze as raw_metrics

MAX_ITEMS = 500
_EXTENSIONS = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".go": "go", ".rs": "rust", ".java": "java", ".kt": "kotlin",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".cs": "csharp", ".swift": "swift",
    ".rb": "ruby", ".php": "php", ".sh": "shell", ".bash": "shell", ".sql": "sql", ".lua": "lua",
    ".hs": "haskell", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".r": "r", ".pl": "perl",
}  # fmt: skip
_RAW_FIELDS = ("loc", "lloc", "sloc", "comments", "multi", "blank", "single_comments")
_HASH = ("#",)
_SLASHES = ("//", "/*", "*", "*/")
_COMMENT_PREFIXES = {
    "python": _HASH, "ruby": _HASH, "shell": _HASH, "perl": _HASH, "r": _HASH, "yaml": _HASH, "toml": _HASH,
    "sql": ("--",), "lua": ("--",), "haskell": ("--",),
}  # fmt: skip


def detect_language(name: str | None, language: str | None) -> str:
    """The language named by the caller, else from the file extension (`text` when unknown).

    Source text without a name or a language is taken as Python, the language analysed in depth.
    """
    if language:
        return language.lower()
    if name:
        return _EXTENSIONS.get(PurePosixPath(name).suffix.lower(), "text")
    return "python"


def line_metrics(text: str, language: str) -> dict[str, Any]:
    """Total, blank, comment and code lines, and line lengths (comments by line prefix)."""
    prefixes = _COMMENT_PREFIXES.get(language, _SLASHES if language != "text" else ())
    lines = text.splitlines()
    blank = sum(1 for line in lines if not line.strip())
    comment = sum(1 for line in lines if line.strip() and prefixes and line.strip().startswith(prefixes))
    lengths = [len(line) for line in lines]
    return {
        "lines": len(lines),
        "blank_lines": blank,
        "comment_lines": comment,
        "code_lines": len(lines) - blank - comment,
        "max_line_length": max(lengths, default=0),
        "average_line_length": round(sum(lengths) / len(lengths), 2) if lengths else 0.0,
    }


def _complexities(blocks: Iterable[Any]) -> dict[int, Any]:
    """radon blocks (functions, methods, closures) by the line of their `def`."""
    found: dict[int, Any] = {}
    for block in blocks:
        if hasattr(block, "methods"):
            found.update(_complexities(block.methods))
            continue
        found[block.lineno] = block
        found.update(_complexities(block.closures))
    return found


def _names(nodes: Iterable[ast.expr]) -> list[str]:
    return [ast.unparse(node)[:120] for node in nodes]


def _function(
    node: ast.FunctionDef | ast.AsyncFunctionDef, owner: str | None, radon_blocks: dict[int, Any]
) -> dict[str, Any]:
    block = radon_blocks.get(node.lineno)
    complexity = block.complexity if block is not None else 1
    arguments = node.args
    return {
        "name": node.name,
        "qualified_name": f"{owner}.{node.name}" if owner else node.name,
        "line": node.lineno,
        "end_line": node.end_lineno,
        "is_async": isinstance(node, ast.AsyncFunctionDef),
        "arguments": len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs),
        "decorators": _names(node.decorator_list),
        "complexity": complexity,
        "rank": cc_rank(complexity),
    }


def _walk(tree: ast.AST, radon_blocks: dict[int, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Functions (with their owner's dotted name) and classes, in source order."""
    functions: list[dict[str, Any]] = []
    classes: list[dict[str, Any]] = []

    def visit(node: ast.AST, owner: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append(_function(child, owner, radon_blocks))
                visit(child, f"{owner}.{child.name}" if owner else child.name)
            elif isinstance(child, ast.ClassDef):
                methods = [n for n in child.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
                classes.append(
                    {"name": child.name, "line": child.lineno, "end_line": child.end_lineno,
                     "bases": _names(child.bases), "methods": len(methods)}
                )  # fmt: skip
                visit(child, f"{owner}.{child.name}" if owner else child.name)
            else:
                visit(child, owner)

    visit(tree, None)
    return functions, classes


def _imports(tree: ast.AST) -> list[dict[str, Any]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend({"module": alias.name, "names": [], "line": node.lineno} for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            found.append({"module": module, "names": [alias.name for alias in node.names], "line": node.lineno})
    return sorted(found, key=lambda item: item["line"])


def _syntax_error(exc: SyntaxError | ValueError | RecursionError | MemoryError) -> dict[str, Any]:
    if isinstance(exc, SyntaxError):
        return {"message": exc.msg, "line": exc.lineno, "column": exc.offset, "text": (exc.text or "").strip()[:200]}
    reason = "source contains NUL bytes" if isinstance(exc, ValueError) else "source is nested too deeply to parse"
    return {"message": reason, "line": None, "column": None, "text": ""}


def _capped(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items[:MAX_ITEMS], "count": len(items), "truncated": len(items) > MAX_ITEMS}


def analyze_python(source: str) -> dict[str, Any]:
    """Structure and metrics of Python source; a syntax error is reported, not raised."""
    result: dict[str, Any] = {"language": "python", "line_metrics": line_metrics(source, "python")}
    try:
        tree = ast.parse(source)
        radon_blocks = _complexities(cc_visit_ast(tree))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return {**result, "syntax_error": _syntax_error(exc)}
    functions, classes = _walk(tree, radon_blocks)
    raw = raw_metrics(source)
    maintainability = mi_visit(source, multi=True)
    complexities = [function["complexity"] for function in functions]
    return {
        **result,
        "syntax_error": None,
        "raw": {name: getattr(raw, name) for name in _RAW_FIELDS},
        "maintainability_index": round(maintainability, 2),
        "maintainability_rank": mi_rank(maintainability),
        "complexity": {
            "average": round(sum(complexities) / len(complexities), 2) if complexities else 0.0,
            "max": max(complexities, default=0),
        },
        "functions": _capped(functions),
        "classes": _capped(classes),
        "imports": _capped(_imports(tree)),
    }


def analyze_source(source: str, language: str) -> dict[str, Any]:
    """Python gets the full analysis; every other language its line metrics."""
    if language == "python":
        return analyze_python(source)
    return {"language": language, "line_metrics": line_metrics(source, language)}
