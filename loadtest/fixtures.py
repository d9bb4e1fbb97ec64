"""Fit the mix to the server under test: drop what it cannot serve, create what calls need.

Tools the server does not list (a group that is disabled or not built yet) and arguments its
input schema rejects at sight are dropped from a default mix with a warning; in a mix the
user wrote, they are an error. `{root}` and `{sample}` are resolved by asking the server:
`system_info` lists the allowed roots, and `write_file` creates the sample file that
`read_file` reads; the load test deletes it at the end when `delete_path` exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from loadtest.connection import call
from loadtest.mix import Scenario, schema_problem

SAMPLE_TEXT = "".join(
    f"line {n}: the quick brown fox jumps over the lazy dog\n" for n in range(1, 101)
)


class FixtureError(RuntimeError):
    """The mix cannot run against this server; the message says why."""


@dataclass
class Fixtures:
    """What the load test created on the server (removed by `cleanup`)."""

    values: dict[str, str] = field(default_factory=dict)
    created_files: list[str] = field(default_factory=list)


async def list_tool_schemas(client: Any) -> dict[str, dict[str, Any]]:
    """Tool name -> input schema, as the server lists them."""
    tools = await client.list_tools()
    return {tool.name: dict(tool.input_schema or {}) for tool in tools}


def _first_root(info: Any) -> str | None:
    structured = getattr(info, "structured_content", None) or {}
    result = structured.get("result") if isinstance(structured, dict) else None
    disks = result.get("disks") if isinstance(result, dict) else None
    return next(iter(disks), None) if isinstance(disks, dict) and disks else None


async def _placeholder_values(
    client: Any, tools: dict[str, Any], needed: set[str], fixtures: Fixtures
) -> None:
    if not needed or "system_info" not in tools:
        return
    root = _first_root(await client.call_tool_mcp("system_info", {}))
    if root is None:
        return
    fixtures.values["{root}"] = root
    if "{sample}" in needed and "write_file" in tools:
        sample = os.path.join(root, f".mcp-loadtest-{os.getpid()}.txt")
        if await call(client, "write_file", {"path": sample, "content": SAMPLE_TEXT}) is None:
            fixtures.values["{sample}"] = sample
            fixtures.created_files.append(sample)


def _problem(scenario: Scenario, tools: dict[str, Any], values: dict[str, str]) -> str | None:
    if scenario.tool not in tools:
        return f"the server has no tool {scenario.tool!r}"
    unresolved = scenario.placeholders() - set(values)
    if unresolved:
        return f"cannot provide {', '.join(sorted(unresolved))} on this server (needs system_info and write_file)"
    return schema_problem(scenario, tools[scenario.tool])


async def prepare(
    client: Any, scenarios: Sequence[Scenario], *, strict: bool, warn: Callable[[str], None]
) -> tuple[list[Scenario], Fixtures]:
    """Resolve the mix against the server: the runnable scenarios and what was created.

    Args:
        client: a connected session.
        scenarios: the mix.
        strict: the user wrote the mix: any entry that cannot run is an error.
        warn: where to say which default entries were dropped.

    Raises:
        FixtureError: `strict` and an entry cannot run, or nothing is left to run.
    """
    tools = await list_tool_schemas(client)
    fixtures = Fixtures()
    needed = set().union(*(scenario.placeholders() for scenario in scenarios))
    await _placeholder_values(client, tools, needed, fixtures)
    runnable = []
    for scenario in scenarios:
        problem = _problem(scenario, tools, fixtures.values)
        if problem is None:
            runnable.append(scenario.bind(fixtures.values))
        elif strict:
            msg = f"--mix {scenario.name}: {problem} (the server lists: {', '.join(sorted(tools))})"
            raise FixtureError(msg)
        else:
            warn(f"warning: dropping {scenario.name} from the default mix: {problem}")
    if not runnable:
        msg = "nothing in the mix can run on this server"
        raise FixtureError(msg)
    await _seed(client, runnable)
    return runnable, fixtures


async def _seed(client: Any, scenarios: Sequence[Scenario]) -> None:
    """Store the keys that `context_get` entries read, so they do not fail with not_found."""
    for scenario in scenarios:
        if scenario.tool == "context_get" and "key" in scenario.arguments:
            await call(
                client, "context_set", {**scenario.arguments, "value": {"seeded_by": "loadtest"}}
            )


async def cleanup(client: Any, fixtures: Fixtures) -> None:
    """Delete the files `prepare` created (best effort: the server may lack `delete_path`)."""
    for path in fixtures.created_files:
        await call(client, "delete_path", {"path": path})
