"""Bearer-token comparison: one pure, constant-time predicate for every check of SPEC 5 and 8."""

from __future__ import annotations

import hmac


def token_matches(presented: bytes | str | None, expected: bytes | None) -> bool:
    """Whether a presented token equals the expected one, compared in constant time.

    Total: no token presented, or none configured, is False.
    """
    if presented is None or expected is None:
        return False
    if isinstance(presented, str):
        presented = presented.encode()
    return hmac.compare_digest(presented, expected)
