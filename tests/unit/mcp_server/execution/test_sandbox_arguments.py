"""bubblewrap's mount list: order matters, because later mounts hide earlier ones."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mcp_server.execution.sandbox import bwrap_arguments


def _mounts(args: list[str]) -> list[tuple[str, str]]:
    """(option, destination) of every mount, in order."""
    mounts = []
    for index, option in enumerate(args):
        if option in ("--bind", "--ro-bind"):
            mounts.append((option, args[index + 2]))
        elif option in ("--tmpfs", "--proc", "--dev"):
            mounts.append((option, args[index + 1]))
    return mounts


class TestMountOrder:
    def test_the_private_tmp_comes_before_everything_bound_under_tmp(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """A venv and roots under /tmp (a CI checkout, pytest's tmp_path) stay visible."""
        venv = tmp_path / "venv"
        venv.mkdir()
        monkeypatch.setattr(sys, "prefix", str(venv))
        root, scratch = tmp_path / "root", tmp_path / "scratch"
        mounts = _mounts(bwrap_arguments([root], network=False, cwd=root, writable=[scratch]))
        tmpfs = mounts.index(("--tmpfs", "/tmp"))
        assert mounts.index(("--ro-bind", str(venv))) > tmpfs
        assert mounts.index(("--bind", str(root))) > tmpfs
        assert mounts.index(("--bind", str(scratch))) > tmpfs

    def test_no_network_unless_allowed(self) -> None:
        """`--unshare-net` is there by default and gone with network=True."""
        assert "--unshare-net" in bwrap_arguments([], network=False, cwd=None)
        assert "--unshare-net" not in bwrap_arguments([], network=True, cwd=None)

    def test_system_directories_are_read_only(self) -> None:
        """/usr and /etc are never bound writable."""
        mounts = dict((destination, option) for option, destination in _mounts(bwrap_arguments([], network=False, cwd=None)))
        assert mounts.get("/usr") == "--ro-bind" and mounts.get("/etc") == "--ro-bind"
