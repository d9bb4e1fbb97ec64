"""observability is a library: it never imports mcp_server, and its public API is explicit."""

from __future__ import annotations

import ast
from pathlib import Path

import observability

_PACKAGE = Path(observability.__file__).parent


class TestBoundaries:
    def test_no_module_imports_mcp_server(self) -> None:
        """Every observability/*.py is parsed; none imports mcp_server."""
        offenders = []
        for path in _PACKAGE.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "mcp_server"]
        assert offenders == []

    def test_the_public_api_is_listed_in_all(self) -> None:
        """Every name in __all__ exists and no private module is re-exported by name."""
        for name in observability.__all__:
            assert hasattr(observability, name)
            assert not name.startswith("_")
