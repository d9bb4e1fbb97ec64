"""Shell text around the parser: making it bashlex-parseable, and accounting for what stays opaque.

bashlex parses most of bash but leaves some text opaque (a `${x:-$(cmd)}` default, a
here-document body) and cannot parse a few constructs (quoted here-document delimiters,
arithmetic expansion). `prepare` rewrites text to parse without changing what the policy must
see; `ParsedText.account` then refuses any substitution syntax the walk did not check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MARKERS = ("$(", "`", "<(", ">(")
_HEREDOC_QUOTED = re.compile(r"<<(-?)([ \t]*)(['\"])([A-Za-z0-9_.-]+)\3(?=[\s;&|<>()]|$)")
_HEREDOC_ESCAPED = re.compile(r"<<(-?)([ \t]*)\\([A-Za-z0-9_.-]+)(?=[\s;&|<>()]|$)")
_LITERAL_ARITHMETIC = re.compile(r"[0-9\s+\-*/%<>=!&|^~?:,()]*")


class Refusal(Exception):
    """Stops the policy walk at the first refusal (never leaves the policy module)."""

    def __init__(self, reason: str, program: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.program = program


@dataclass
class ParsedText:
    """One parsed text: which substitution markers the walk accounted for."""

    text: str
    starts: set[int] = field(default_factory=set)  # substitutions the walk checked
    exempt: list[tuple[int, int]] = field(default_factory=list)  # payloads checked recursively
    suspicious: list[tuple[int, int]] = field(
        default_factory=list
    )  # words quoting built markers in

    def _covered(self, low: int, high: int) -> bool:
        return any(start <= low and high <= end for start, end in self.exempt)

    def account(self) -> None:
        """Refuse markers that no checked substitution or payload explains."""
        for marker in MARKERS:
            start = self.text.find(marker)
            while start != -1:
                if start not in self.starts and not self._covered(start, start + 1):
                    reason = (
                        f"{marker!r} at offset {start} sits where bash may evaluate it "
                        "but the policy cannot check it"
                    )
                    raise Refusal(reason)
                start = self.text.find(marker, start + 1)
        for low, high in self.suspicious:
            if not self._covered(low, high):
                shown = self.text[low:high][:60]
                raise Refusal(f"the word {shown!r} spells substitution syntax through quoting")


def prepare(text: str) -> str:
    """Make bashlex-parseable text of the same length (positions stay valid).

    Quoted here-document delimiters (`<<'EOF'`, which bashlex mishandles) lose their quotes,
    which only widens what the check assumes bash expands. `$((...))` with literal numbers
    becomes digits; arithmetic over variables is refused, because bash evaluates variable
    contents there as code (`x='a[$(cmd)]'; echo $((x))` runs cmd).

    Raises:
        Refusal: arithmetic the policy cannot follow.
    """
    text = _HEREDOC_QUOTED.sub(lambda m: f"<<{m[1]}{m[2]} {m[4]} ", text)
    text = _HEREDOC_ESCAPED.sub(lambda m: f"<<{m[1]}{m[2]} {m[3]}", text)
    if "$[" in text:
        raise Refusal("$[...] arithmetic is refused")
    start = text.find("$((")
    while start != -1:
        end = _closing(text, start + 1)
        inner = text[start + 3 : end - 1]
        if end >= len(text) or not _LITERAL_ARITHMETIC.fullmatch(inner):
            reason = "arithmetic expansion over variables or commands is refused (bash evaluates it as code)"
            raise Refusal(reason)
        text = text[:start] + "0" * (end + 1 - start) + text[end + 1 :]
        start = text.find("$((")
    return text


def _closing(text: str, opening: int) -> int:
    """Index of the parenthesis closing the one at `opening` (len(text) if none)."""
    depth = 0
    for index in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return len(text)
