"""A server shared by the parametrized corpora of this folder (building one costs ~0.2 s)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastmcp import Client

from mcp_server.app import App
from mcp_server.settings import Settings
from tests.conftest import running_app


@pytest.fixture(scope="module")
def shared_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-module directory holding `root` (the allowed root) and `data`."""
    base = tmp_path_factory.mktemp("shared")
    (base / "root").mkdir()
    return base


@pytest.fixture(scope="module")
def shared_app(shared_base: Path) -> Iterator[App]:
    """One server for every case of a module; cases must not depend on each other's effects."""
    settings = Settings(data_dir=shared_base / "data", allowed_roots=[shared_base / "root"], command_timeout_s=30)
    with running_app(settings) as built:
        yield built


@pytest.fixture
async def shared_client(shared_app: App) -> AsyncIterator[Client]:
    """A fresh in-memory client of the shared server."""
    async with Client(shared_app.mcp) as connected:
        yield connected
