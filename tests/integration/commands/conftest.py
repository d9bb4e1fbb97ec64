"""Servers for the command tool tests: `touch` blocked (the harmless stand-in), direct execution."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from mcp_server.app import App, build_app, telemetry_config
from mcp_server.settings import Settings
from observability import Telemetry
from observability.testing import setup_for_tests
from tests.conftest import running_app

AppFactory = Callable[..., contextlib.AbstractContextManager[tuple[App, Telemetry]]]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Per-test settings (overrides the root fixture): `touch` blocked, direct execution."""
    return make_settings(execution="direct", blocked_commands=["touch"], command_timeout_s=20)


@pytest.fixture
def app_with(make_settings: Callable[..., Settings]) -> AppFactory:
    """Build a server with other settings for one test: `with app_with(max_processes=2) as (app, telemetry)`."""

    @contextlib.contextmanager
    def build(**overrides: Any) -> Iterator[tuple[App, Telemetry]]:
        settings = make_settings(**{"execution": "direct", **overrides})
        telemetry, _spans = setup_for_tests(telemetry_config(settings))
        built = build_app(settings, telemetry)
        try:
            yield built, telemetry
        finally:
            built.services.close()

    return build


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
    with running_app(settings) as built:
        yield built


@pytest.fixture
async def module_client(module_app: App) -> AsyncIterator[Client]:
    """A fresh in-memory client of the module-wide server."""
    async with Client(module_app.mcp) as connected:
        yield connected
