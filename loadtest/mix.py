"""What a load test calls: scenarios (a tool and its arguments) weighted by `--mix`.

A mix entry is a tool name (`calculate`) or a labelled variant (`calculate#invalid`) so that
one tool can appear with different arguments. Default arguments exist for the product's
tools; `--args NAME=JSON` sets them for any entry. Arguments may name `{root}` (the server's
first allowed root) and `{sample}` (a small file the load test writes there at start), which
are filled in once the server has been asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Cheap tools, a file read, and a spawning command; the error rate stays zero by default.
DEFAULT_MIX = "calculate=5,context_get=2,context_set=1,system_info=1,health_check=1,read_file=3,list_directory=1,execute_command=2"

DEFAULT_ARGUMENTS: dict[str, dict[str, Any]] = {
    "calculate": {"expression": "2 * (3 + 4) ** 2"},
    # A deterministic failure (invalid_arguments), to see errors counted by type.
    "calculate#invalid": {"expression": "1 +"},
    "system_info": {},
    "health_check": {},
    "telemetry_status": {},
    "context_set": {"namespace": "loadtest", "key": "sample", "value": {"n": 1, "text": "load"}},
    "context_get": {"namespace": "loadtest", "key": "sample"},
    "context_list": {"namespace": "loadtest"},
    "read_file": {"path": "{sample}"},
    "file_info": {"path": "{sample}"},
    "list_directory": {"path": "{root}"},
    "execute_command": {"command": "true"},
    "execute_command#echo": {"command": ["echo", "hello"]},
}
PLACEHOLDERS = ("{root}", "{sample}")
_ENTRY = re.compile(r"^(?P<tool>[A-Za-z0-9_.-]{1,128})(?:#(?P<label>[A-Za-z0-9_-]{1,64}))?$")
MAX_WEIGHT = 1_000_000


class MixError(ValueError):
    """A `--mix` or `--args` value that cannot be understood; the message says why."""


@dataclass(frozen=True)
class Scenario:
    """One mix entry: call `tool` with `arguments`, chosen with relative `weight`."""

    name: str
    tool: str
    weight: int
    arguments: dict[str, Any] = field(default_factory=dict)

    def placeholders(self) -> set[str]:
        """Which of `{root}`, `{sample}` the arguments use."""
        text = json.dumps(self.arguments)
        return {token for token in PLACEHOLDERS if token in text}

    def bind(self, values: Mapping[str, str]) -> Scenario:
        """A copy with placeholders replaced by `values` (keys like `{root}`)."""
        return Scenario(self.name, self.tool, self.weight, _substitute(self.arguments, values))


def _substitute(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for token, replacement in values.items():
            value = value.replace(token, replacement)
        return value
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, values) for key, item in value.items()}
    return value


def parse_mix(text: str) -> dict[str, int]:
    """Parse `name=weight,...` into an ordered name -> weight map.

    Raises:
        MixError: empty mix, malformed entry, repeated name, or a weight that is not a
            positive integer.
    """
    weights: dict[str, int] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, weight_text = entry.partition("=")
        name = name.strip()
        if not _ENTRY.match(name):
            msg = f"--mix entry {entry!r}: expected TOOL=WEIGHT or TOOL#LABEL=WEIGHT"
            raise MixError(msg)
        weight = _parse_weight(entry, weight_text if sep else "1")
        if name in weights:
            msg = f"--mix names {name!r} twice"
            raise MixError(msg)
        weights[name] = weight
    if not weights:
        msg = "--mix is empty: give at least one TOOL=WEIGHT"
        raise MixError(msg)
    return weights


def _parse_weight(entry: str, text: str) -> int:
    try:
        weight = int(text.strip())
    except ValueError:
        msg = f"--mix entry {entry!r}: the weight must be a whole number"
        raise MixError(msg) from None
    if not 1 <= weight <= MAX_WEIGHT:
        msg = f"--mix entry {entry!r}: the weight must be between 1 and {MAX_WEIGHT}"
        raise MixError(msg)
    return weight


def parse_arguments(values: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Parse repeated `--args NAME=JSON-object` values.

    Raises:
        MixError: a value without `=`, a bad name, JSON that does not parse or is not an object.
    """
    parsed: dict[str, dict[str, Any]] = {}
    for value in values:
        name, sep, text = value.partition("=")
        name = name.strip()
        if not sep or not _ENTRY.match(name):
            msg = f"--args {value!r}: expected NAME='{{\"param\": ...}}'"
            raise MixError(msg)
        try:
            arguments = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"--args {name}: not valid JSON ({exc.msg} at column {exc.colno})"
            raise MixError(msg) from None
        if not isinstance(arguments, dict):
            msg = f"--args {name}: the arguments must be a JSON object"
            raise MixError(msg)
        parsed[name] = arguments
    return parsed


def build_scenarios(
    weights: Mapping[str, int], overrides: Mapping[str, dict[str, Any]]
) -> list[Scenario]:
    """One scenario per mix entry, with `--args` first, then the defaults, then `{}`.

    Raises:
        MixError: `--args` for a name that is not in the mix (a likely typo).
    """
    unknown = sorted(set(overrides) - set(weights))
    if unknown:
        msg = f"--args given for {', '.join(unknown)}, which --mix does not name"
        raise MixError(msg)
    scenarios = []
    for name, weight in weights.items():
        tool = name.partition("#")[0]
        arguments = overrides.get(name, DEFAULT_ARGUMENTS.get(name, {}))
        scenarios.append(Scenario(name, tool, weight, dict(arguments)))
    return scenarios


def schema_problem(scenario: Scenario, input_schema: Mapping[str, Any] | None) -> str | None:
    """Why the server's input schema rejects the scenario's arguments at sight, or None.

    Only required and unknown parameter names are checked: the server does the full check.
    """
    schema = input_schema or {}
    properties = schema.get("properties") or {}
    missing = [name for name in schema.get("required") or () if name not in scenario.arguments]
    if missing:
        return f"missing required argument(s) {', '.join(missing)}"
    if schema.get("additionalProperties") is False:
        extra = [name for name in scenario.arguments if name not in properties]
        if extra:
            return f"unknown argument(s) {', '.join(extra)}"
    return None
