"""Servers for the command tool tests: `touch` blocked (the harmless stand-in), direct execution."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from mcp_server.app import App, build_app, telemetry_config
from mcp_server.settings import Settings
from observability.testing import setup_for_tests


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Per-test settings (overrides the root fixture): `touch` blocked, direct execution."""
    return make_settings(execution="direct", blocked_commands=["touch"], command_timeout_s=20)


@pytest.fixture(scope="module")
def module_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The allowed root of the module-wide server."""
    root = tmp_path_factory.mktemp("commands") / "root"
    root.mkdir()
    return root


@pytest.fixture(scope="module")
def module_app(module_root: Path) -> Iterator[App]:
    """One server for a whole module of independent cases (building one costs ~0.2 s)."""
    settings = Settings(
        data_dir=module_root.parent / "data",
        allowed_roots=[module_root],
        execution="direct",
        blocked_commands=["touch"],
        command_timeout_s=20,
    )
    telemetry, _spans = setup_for_tests(telemetry_config(settings))
    built = build_app(settings, telemetry)
    yield built
    built.services.close()


@pytest.fixture
async def module_client(module_app: App) -> AsyncIterator[Client]:
    """A fresh in-memory client of the module-wide server."""
    async with Client(module_app.mcp) as connected:
        yield connected


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    """Call a tool; return the CallToolResult (is_error, structured_content)."""
    return await client.call_tool_mcp(tool, arguments)
