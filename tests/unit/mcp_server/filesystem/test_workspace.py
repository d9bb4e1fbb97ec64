"""Workspace: the content cache stays coherent, and a racing symlink swap never leads out."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from mcp_server.caching import TTLCache
from mcp_server.errors import ToolServerError
from mcp_server.filesystem.reading import FileContent
from mcp_server.filesystem.workspace import Workspace


@pytest.fixture
def lookups() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def workspace(tmp_path: Path, lookups: list[tuple[str, str]]) -> Workspace:
    root = tmp_path / "root"
    root.mkdir()
    cache: TTLCache[FileContent] = TTLCache("file", lambda name, result: lookups.append((name, result)))
    return Workspace([root.resolve()], cache)


class TestContentCache:
    def test_a_second_read_is_a_hit_and_a_write_invalidates(
        self, workspace: Workspace, lookups: list[tuple[str, str]]
    ) -> None:
        """read, read, write, read: miss, hit, then a miss that sees the new content."""
        workspace.write("f.txt", b"one\n", mode="overwrite", create_parents=False)
        assert workspace.read("f.txt", offset=0, limit=10, encoding="text")["cached"] is False
        assert workspace.read("f.txt", offset=0, limit=10, encoding="text")["cached"] is True
        workspace.write("f.txt", b"two\n", mode="overwrite", create_parents=False)
        after = workspace.read("f.txt", offset=0, limit=10, encoding="text")
        assert (after["content"], after["cached"]) == ("two\n", False)
        assert lookups == [("file", "miss"), ("file", "hit"), ("file", "miss")]

    def test_an_outside_replacement_with_the_same_size_and_mtime_is_seen(self, workspace: Workspace) -> None:
        """Another process's atomic replace within one timestamp tick still changes the key (inode)."""
        target = workspace.roots[0] / "g.txt"
        target.write_text("aaaa")
        stamp = target.stat().st_mtime_ns
        assert workspace.read("g.txt", offset=0, limit=10, encoding="text")["content"] == "aaaa"
        replacement = workspace.roots[0] / "g.tmp"
        replacement.write_text("bbbb")
        os.utime(replacement, ns=(stamp, stamp))
        os.replace(replacement, target)
        assert workspace.read("g.txt", offset=0, limit=10, encoding="text")["content"] == "bbbb"

    def test_moving_and_deleting_a_directory_drops_the_entries_under_it(
        self, workspace: Workspace, lookups: list[tuple[str, str]]
    ) -> None:
        """Cached files under a moved or deleted directory are forgotten."""
        workspace.write("d/a.txt", b"x", mode="overwrite", create_parents=True)
        workspace.read("d/a.txt", offset=0, limit=1, encoding="text")
        assert len(workspace.cache) == 1
        workspace.move("d", "e", overwrite=False, create_parents=False)
        assert len(workspace.cache) == 0
        workspace.read("e/a.txt", offset=0, limit=1, encoding="text")
        workspace.delete("e", recursive=True)
        assert len(workspace.cache) == 0


class TestSymlinkSwapRace:
    def test_writes_and_reads_racing_a_directory_symlink_swap_never_touch_the_outside(
        self, workspace: Workspace, tmp_path: Path
    ) -> None:
        """While root/d flips between a directory and a symlink to the outside, nothing leaks out."""
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text("TOP SECRET")
        swapped = workspace.roots[0] / "d"
        stop = threading.Event()
        swaps = []

        def clear() -> None:
            if swapped.is_symlink():
                swapped.unlink(missing_ok=True)
            else:
                shutil.rmtree(swapped, ignore_errors=True)

        def swapper() -> None:
            while not stop.is_set():
                clear()
                try:
                    swapped.mkdir()
                    (swapped / "secret.txt").write_text("inside")
                except OSError:
                    continue  # the writer created it meanwhile: clear again
                clear()
                try:
                    swapped.symlink_to(outside)
                    swaps.append(1)
                except OSError:
                    continue

        thread = threading.Thread(target=swapper)
        thread.start()
        leaked = []
        try:
            for _ in range(400):
                for call in (
                    lambda: workspace.write("d/new.txt", b"x", mode="overwrite", create_parents=True),
                    lambda: workspace.read("d/secret.txt", offset=0, limit=5, encoding="text")["content"],
                ):
                    try:
                        leaked.append(call())
                    except (ToolServerError, FileNotFoundError):
                        continue
        finally:
            stop.set()
            thread.join()
        assert len(swaps) > 10, "the race was exercised"
        assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
        assert (outside / "secret.txt").read_text() == "TOP SECRET"
        assert not [value for value in leaked if value == "TOP SECRET"]
