"""Keep secrets and payloads out of telemetry: argument redaction and message filtering.

Written here because no library in the stack does it: the OTel SDK records whatever it is
given, and structlog has no redaction processor. SPEC section 8 (last point) is the contract.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
_SENSITIVE_KEY = re.compile(r"pass(word|wd)?|secret|token|api[-_]?key|(^|[-_.])key($|[-_.])|auth|credential|cookie|session[-_]?id|private", re.IGNORECASE)
# `token=abc`, `password: abc`, `Authorization: Bearer abc`, URLs with user:pass@.
_SENSITIVE_TEXT = re.compile(
    r"(?P<key>\b[\w.-]*(?:pass(?:word|wd)?|secret|token|api[-_]?key|auth\w*|credential|cookie)[\w.-]*\b)"
    r"(?P<sep>\s*[=:]\s*)(?P<value>(?:bearer\s+|basic\s+)?[^\s,;&\"']+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
# pydantic validation messages echo the offending input.
_PYDANTIC_INPUT = re.compile(r"input_value=(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^,\]\s]+)")
# Cheap pre-check: the substitutions below only run when one of these could match.
_MAYBE_SENSITIVE = re.compile(r"pass|secret|token|key|auth|credential|cookie|bearer|basic|input_value|://", re.IGNORECASE)
_MAX_DEPTH = 6


def is_sensitive_key(key: str) -> bool:
    """Whether a mapping key names a secret (password, token, api_key, auth, cookie, ...)."""
    return bool(_SENSITIVE_KEY.search(key))


class Redactor:
    """Turns tool arguments and free text into something safe to put on a span or a log line.

    Args:
        payload_keys: argument names whose values are payloads (file content, stdin): they
            become `"<N bytes>"`.
        masked_value_keys: argument names holding a mapping whose keys are kept and values
            masked (`env`, `headers`).
        secrets: literal secret values (tokens, header values) removed from any text.
        max_chars: the JSON of redacted arguments is cut to this many characters.
    """

    def __init__(
        self,
        payload_keys: Iterable[str] = (),
        masked_value_keys: Iterable[str] = (),
        secrets: Iterable[str] = (),
        max_chars: int = 1024,
    ) -> None:
        self._payload_keys = frozenset(payload_keys)
        self._masked_value_keys = frozenset(masked_value_keys)
        # Longest first so a secret containing another is replaced whole.
        self._secrets = tuple(sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True))
        self._max_chars = max_chars

    def arguments_json(self, arguments: Mapping[str, Any] | None) -> str:
        """Redacted, truncated JSON of a tool call's arguments, for `mcp.tool.arguments`."""
        if not arguments:
            return "{}"
        redacted = {str(k): self._value(str(k), v, 0) for k, v in arguments.items()}
        text = json.dumps(redacted, ensure_ascii=False, default=str, separators=(",", ":"))
        text = self.text(text)
        if len(text) > self._max_chars:
            text = text[: self._max_chars] + f"...[truncated {len(text) - self._max_chars} chars]"
        return text

    def text(self, text: str) -> str:
        """Remove known secret values and `key=value` style credentials from free text."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if not _MAYBE_SENSITIVE.search(text):
            return text
        text = _URL_CREDENTIALS.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
        text = _BEARER.sub(lambda m: m.group(1) + " " + REDACTED, text)
        text = _PYDANTIC_INPUT.sub("input_value=" + REDACTED, text)
        return _SENSITIVE_TEXT.sub(lambda m: m.group("key") + m.group("sep") + REDACTED, text)

    def _value(self, key: str, value: Any, depth: int) -> Any:
        if is_sensitive_key(key):
            return REDACTED
        if key in self._payload_keys:
            return _payload_size(value)
        if key in self._masked_value_keys and isinstance(value, Mapping):
            return {str(k): REDACTED for k in value}
        if depth >= _MAX_DEPTH:
            return "[nested]"
        if isinstance(value, Mapping):
            return {str(k): self._value(str(k), v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value("", v, depth + 1) for v in value[:50]]
        if isinstance(value, str) and len(value) > 256:
            return value[:256] + f"...[{len(value)} chars]"
        return value


def _payload_size(value: Any) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str):
        return f"<{len(value.encode('utf-8', 'surrogatepass'))} bytes>"
    if value is None:
        return "<none>"
    return f"<{len(json.dumps(value, default=str).encode())} bytes>"
