"""Shared fixtures: a clean environment, folder-based markers, settings, telemetry, app, client."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from mcp_server.app import App, build_app, telemetry_config
from mcp_server.settings import Settings
from observability import Telemetry
from observability.testing import setup_for_tests

_PREFIXES = ("OTEL_", "MCP_SERVER_", "FASTMCP_")
_FOLDER_MARKERS = {"unit": "unit", "integration": "integration", "system": "system"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its folder, so `-m "not system"` works locally."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        for folder, marker in _FOLDER_MARKERS.items():
            if folder in parts:
                item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OTEL_*, MCP_SERVER_* or FASTMCP_* from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)


@contextmanager
def running_app(settings: Settings) -> Iterator[App]:
    """An app built for `settings` with test telemetry, closed afterwards (for shared fixtures)."""
    telemetry, _spans = setup_for_tests(telemetry_config(settings))
    built = build_app(settings, telemetry)
    try:
        yield built
    finally:
        built.services.close()


def require_binary(name: str) -> str:
    """Path of a system binary; skip without it locally, fail in CI (CI=true)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/install-system-deps.sh installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def root_dir(tmp_path: Path) -> Path:
    """An allowed root for file and command tools."""
    root = tmp_path / "root"
    root.mkdir()
    return root


@pytest.fixture
def make_settings(tmp_path: Path, root_dir: Path) -> Callable[..., Settings]:
    """Build Settings for a test: data dir and allowed root under tmp_path, then overrides."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "allowed_roots": [root_dir],
            "log_level": "INFO",
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Default test settings."""
    return make_settings()


@pytest.fixture
def telemetry_and_spans(settings: Settings) -> tuple[Telemetry, Any]:
    """Telemetry set up for the settings, with an in-memory span recorder."""
    config = telemetry_config(settings)
    return setup_for_tests(config)


@pytest.fixture
def telemetry(telemetry_and_spans: tuple[Telemetry, Any]) -> Telemetry:
    """The live telemetry runtime of this test."""
    return telemetry_and_spans[0]


@pytest.fixture
def spans(telemetry_and_spans: tuple[Telemetry, Any]) -> Any:
    """In-memory span recorder (cleared at the start of the test)."""
    return telemetry_and_spans[1]


@pytest.fixture
def app(settings: Settings, telemetry: Telemetry) -> Iterator[App]:
    """The assembled server for the test settings."""
    built = build_app(settings, telemetry)
    yield built
    built.services.close()


@pytest.fixture(params=["auto", "legacy"], ids=["era-2026", "era-handshake"])
def era(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: sessionless 2026-07-28 (`auto`) and the session handshake."""
    return str(request.param)


@pytest.fixture
async def client(app: App) -> AsyncIterator[Client]:
    """An in-memory fastmcp.Client connected to the app (2026-07-28 era)."""
    async with Client(app.mcp) as connected:
        yield connected
