"""The bypass corpus against a real server: none creates the marker, each is blocked_command.

`touch` is the blocked stand-in; every attempt would create a marker file if it ran. A second
test turns the policy off and shows the attempts are real (they do create the marker), so a
refusal in the first test is the policy's doing and not a broken command.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastmcp import Client

from mcp_server.app import App, build_app, telemetry_config
from mcp_server.settings import Settings
from observability.testing import setup_for_tests
from tests.helpers.bypass_corpus import ATTEMPTS, Attempt, render

# Attempts that need something this machine may lack to actually run (only for the control).
_NEEDS = {
    "busybox": "busybox",
    "git-ssh-command": "git",
    "git-alias": "git",
    "command-variable": "git",
}


def _arguments(attempt: Attempt, marker: Path, root: Path) -> dict[str, object]:
    command, stdin = render(attempt, str(marker), str(root))
    arguments: dict[str, object] = {"command": command, "cwd": str(root)}
    if stdin is not None:
        arguments["stdin"] = stdin
    return arguments


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[a.id for a in ATTEMPTS])
async def test_no_attempt_creates_the_marker(
    attempt: Attempt, module_client: Client, module_root: Path
) -> None:
    """Each attempt returns blocked_command and the marker file never appears."""
    marker = module_root / f"marker-{attempt.id}"
    result = await module_client.call_tool_mcp(
        "execute_command", _arguments(attempt, marker, module_root)
    )
    assert result.is_error, result.structured_content
    assert result.structured_content["type"] == "blocked_command"
    assert not marker.exists()


def test_the_corpus_has_at_least_thirty_attempts() -> None:
    """SPEC/issue: at least 30 bypass attempts."""
    assert len(ATTEMPTS) >= 30


@pytest.fixture(scope="module")
def open_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    """A server with the policy off (no blocklist at all)."""
    base = tmp_path_factory.mktemp("open")
    (base / "root").mkdir()
    settings = Settings(
        data_dir=base / "data",
        allowed_roots=[base / "root"],
        execution="direct",
        default_blocklist=False,
    )
    telemetry, _spans = setup_for_tests(telemetry_config(settings))
    built = build_app(settings, telemetry)
    yield built
    built.services.close()


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[a.id for a in ATTEMPTS])
async def test_with_the_policy_off_the_attempt_really_creates_the_marker(
    attempt: Attempt, open_app: App
) -> None:
    """Control: the attempts are working commands, so the refusals above are the policy's."""
    needed = _NEEDS.get(attempt.id)
    if needed and shutil.which(needed) is None:
        pytest.skip(f"{attempt.id} needs {needed}, which is not installed here")
    root = open_app.services.settings.allowed_roots[0]
    marker = root / f"marker-{attempt.id}"
    async with Client(open_app.mcp) as client:
        result = await client.call_tool_mcp(
            "execute_command", {**_arguments(attempt, marker, root), "timeout_s": 10}
        )
    assert not result.is_error, result.structured_content
    assert marker.exists(), result.structured_content["result"]
