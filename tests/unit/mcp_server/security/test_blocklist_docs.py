"""docs/security.md lists the default blocklist exactly, each entry with its reason."""

from __future__ import annotations

import re
from pathlib import Path

from mcp_server.security.blocklist import DEFAULT_BLOCKLIST

DOC = Path(__file__).resolve().parents[4] / "docs" / "security.md"


class TestBlocklistDocumentation:
    def test_the_documented_table_matches_the_code(self) -> None:
        """Every default entry is documented with the same one-line reason, and nothing else is."""
        rows = re.findall(r"^\| `([^`]+)` \| (.+) \|$", DOC.read_text(), flags=re.MULTILINE)
        assert dict(rows) == dict(DEFAULT_BLOCKLIST)

    def test_the_doc_says_the_sandbox_is_the_boundary(self) -> None:
        """The guardrail/boundary statement SPEC 8 asks for is there."""
        text = DOC.read_text()
        assert "guardrail" in text and "The sandbox is the boundary" in text
        readme = (DOC.parents[1] / "README.md").read_text()
        assert "The command blocklist is a guardrail; the sandbox is the boundary." in readme
