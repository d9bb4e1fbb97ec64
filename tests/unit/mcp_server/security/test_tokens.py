"""Token comparison: constant time, and total."""

from __future__ import annotations

import pytest

from mcp_server.security.tokens import token_matches


class TestTokenMatches:
    @pytest.mark.parametrize(
        ("presented", "expected", "matches"),
        [
            (b"s3cret", b"s3cret", True),
            ("s3cret", b"s3cret", True),
            (b"s3cret ", b"s3cret", False),
            (b"S3CRET", b"s3cret", False),
            (b"", b"s3cret", False),
            (None, b"s3cret", False),
            (b"s3cret", None, False),
            (None, None, False),
        ],
    )
    def test_only_an_exact_token_matches(self, presented: bytes | str | None, expected: bytes | None, matches: bool) -> None:
        """Case, whitespace, absence on either side: only the exact bytes match."""
        assert token_matches(presented, expected) is matches
