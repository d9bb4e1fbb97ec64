"""The path-attack corpus: every file tool (and every other tool taking a path) refuses escapes.

Each case is one MCP call through the real server. It must come back as `path_outside_roots`,
carry none of the outside secret, and leave the tree outside the root byte-for-byte as it was
(contents, modes, link targets, names).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

SECRET = "TOP SECRET outside"
HOMOGLYPH = "r\u043e\u043et"  # Cyrillic o's: looks like "root"
COMBINING = "root\u0301"  # "root" + combining acute accent

# (id, tool, arguments); "{outside}", "{tmp}" and "{root}" are filled in per test.
CORPUS: list[tuple[str, str, dict[str, Any]]] = [
    ("read-traversal", "read_file", {"path": "../outside/secret.txt"}),
    ("read-deep-traversal", "read_file", {"path": "inner/../../outside/secret.txt"}),
    ("read-absolute-outside", "read_file", {"path": "{outside}/secret.txt"}),
    ("read-etc-passwd", "read_file", {"path": "/etc/passwd"}),
    ("read-symlinked-dir", "read_file", {"path": "link_out/secret.txt"}),
    ("read-file-symlink", "read_file", {"path": "file_link"}),
    ("read-dangling-symlink", "read_file", {"path": "dangling"}),
    ("read-sibling-prefix", "read_file", {"path": "{tmp}/root2/secret.txt"}),
    ("read-sibling-prefix-via-dotdot", "read_file", {"path": "{root}/../root2/secret.txt"}),
    ("read-nul-byte", "read_file", {"path": "inside.txt\u0000/../../outside/secret.txt"}),
    ("read-double-slash-dotdot", "read_file", {"path": "//.."}),
    ("read-proc-self-root", "read_file", {"path": "/proc/self/root{outside}/secret.txt"}),
    ("read-link-to-proc-self-root", "read_file", {"path": "proc_link"}),
    ("read-unicode-homoglyph-sibling", "read_file", {"path": "{tmp}/" + HOMOGLYPH + "/secret.txt"}),
    ("read-unicode-combining-sibling", "read_file", {"path": "{tmp}/" + COMBINING + "/secret.txt"}),
    ("read-base64-through-link", "read_file", {"path": "link_out/secret.txt", "encoding": "base64"}),
    ("write-traversal", "write_file", {"path": "../outside/new.txt", "content": "x"}),
    ("write-under-symlinked-parent", "write_file", {"path": "link_out/new.txt", "content": "x"}),
    ("write-parents-under-symlinked-parent", "write_file",
     {"path": "link_out/a/b/new.txt", "content": "x", "create_parents": True}),
    ("write-through-file-symlink", "write_file", {"path": "file_link", "content": "overwritten"}),
    ("write-through-dangling-symlink", "write_file", {"path": "dangling", "content": "created outside?"}),
    ("write-append-through-link", "write_file", {"path": "file_link", "content": "more", "mode": "append"}),
    ("write-sibling-prefix", "write_file", {"path": "{tmp}/root2/new.txt", "content": "x"}),
    ("edit-through-file-symlink", "edit_file",
     {"path": "file_link", "edits": [{"old_text": "TOP", "new_text": "NOT"}]}),
    ("edit-traversal", "edit_file",
     {"path": "../outside/secret.txt", "edits": [{"old_text": "TOP", "new_text": "NOT"}], "dry_run": True}),
    ("list-parent", "list_directory", {"path": ".."}),
    ("list-symlinked-dir", "list_directory", {"path": "link_out"}),
    ("list-filesystem-root", "list_directory", {"path": "/"}),
    ("search-symlinked-dir", "search_files", {"path": "link_out", "content_regex": "SECRET"}),
    ("search-parent", "search_files", {"path": "{root}/..", "pattern": "secret.txt"}),
    ("info-through-link", "file_info", {"path": "link_out/secret.txt"}),
    ("info-sibling-prefix", "file_info", {"path": "../root2"}),
    ("move-out-of-root", "move_path", {"source": "inside.txt", "destination": "../outside/moved.txt"}),
    ("move-into-root", "move_path", {"source": "{outside}/secret.txt", "destination": "stolen.txt"}),
    ("move-through-symlinked-dir", "move_path", {"source": "link_out/secret.txt", "destination": "stolen.txt"}),
    ("move-under-symlinked-parent", "move_path", {"source": "inside.txt", "destination": "link_out/moved.txt"}),
    ("mkdir-traversal", "create_directory", {"path": "../outside/newdir"}),
    ("mkdir-under-symlinked-parent", "create_directory", {"path": "link_out/newdir/deeper"}),
    ("delete-traversal", "delete_path", {"path": "../outside/secret.txt"}),
    ("delete-through-symlinked-dir", "delete_path", {"path": "link_out/secret.txt"}),
    ("delete-outside-tree", "delete_path", {"path": "{outside}", "recursive": True}),
    ("analyze-through-file-symlink", "analyze_code", {"path": "file_link"}),
    ("run-tests-outside", "run_tests", {"path": "{outside}"}),
]  # fmt: skip


def _fill(value: Any, places: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, text in places.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, dict):
        return {key: _fill(item, places) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, places) for item in value]
    return value


def snapshot(top: Path, skip: set[Path]) -> dict[str, tuple[Any, ...]]:
    """Every entry under `top` (except `skip`): type, mode, and content hash or link target."""
    state: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [name for name in dirnames if Path(dirpath, name) not in skip]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            status = path.lstat()
            if path.is_symlink():
                detail: Any = os.readlink(path)
            elif path.is_file():
                detail = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                detail = None
            state[str(path.relative_to(top))] = (status.st_mode, status.st_size if path.is_file() else 0, detail)
    return state


@pytest.fixture(scope="module")
def attack_tree(shared_base: Path) -> dict[str, str]:
    """Outside directories with secrets, siblings that look like the root, and links leading out."""
    tmp_path, root_dir = shared_base, shared_base / "root"
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET + "\n")
    (outside / "sub" / "deep.txt").write_text(SECRET + " deep\n")
    for sibling in ("root2", HOMOGLYPH, COMBINING):
        (tmp_path / sibling).mkdir()
        (tmp_path / sibling / "secret.txt").write_text(SECRET + f" in {sibling}\n")
    (root_dir / "inside.txt").write_text("inside\n")
    (root_dir / "inner").mkdir()
    (root_dir / "link_out").symlink_to(outside)
    (root_dir / "file_link").symlink_to(outside / "secret.txt")
    (root_dir / "dangling").symlink_to(outside / "missing.txt")
    (root_dir / "proc_link").symlink_to(f"/proc/self/root{outside}/secret.txt")
    return {"outside": str(outside), "tmp": str(tmp_path), "root": str(root_dir)}


def test_the_corpus_is_large_and_covers_every_file_tool() -> None:
    """At least 25 cases, and each of the nine file tools is attacked."""
    tools = {tool for _id, tool, _args in CORPUS}
    assert len(CORPUS) >= 25
    assert {"read_file", "write_file", "edit_file", "list_directory", "search_files", "file_info",
            "move_path", "create_directory", "delete_path"} <= tools  # fmt: skip


@pytest.mark.parametrize(("tool", "arguments"), [(tool, args) for _id, tool, args in CORPUS], ids=[c[0] for c in CORPUS])
async def test_escape_is_refused_and_nothing_outside_is_read_or_changed(
    shared_client: Client, attack_tree: dict[str, str], shared_base: Path, tool: str, arguments: dict[str, Any]
) -> None:
    """The call returns isError with type path_outside_roots, no secret, and the outside is unchanged."""
    skip = {shared_base / "root", shared_base / "data"}
    before = snapshot(shared_base, skip)
    filled = _fill(arguments, attack_tree)
    result = await shared_client.call_tool_mcp(tool, filled)
    assert result.is_error
    assert result.structured_content["type"] == "path_outside_roots", result.structured_content
    assert SECRET not in result.content[0].text
    if attack_tree["root"] not in json.dumps(filled):
        assert attack_tree["root"] not in result.content[0].text, "the message must not reveal the root"
    assert snapshot(shared_base, skip) == before


class TestLookalikesThatStayInside:
    async def test_a_division_slash_name_is_created_inside_the_root(
        self, shared_client: Client, attack_tree: dict[str, str], shared_base: Path
    ) -> None:
        """U+2215 is not a separator: the file lands inside the root under that odd name."""
        skip = {shared_base / "root", shared_base / "data"}
        before = snapshot(shared_base, skip)
        name = "..\u2215outside\u2215secret.txt"
        result = await shared_client.call_tool_mcp("write_file", {"path": name, "content": "inside"})
        assert not result.is_error
        assert (shared_base / "root" / name).read_text() == "inside"
        assert snapshot(shared_base, skip) == before

    async def test_deleting_a_link_that_points_out_removes_only_the_link(
        self, client: Client, tmp_path: Path, root_dir: Path
    ) -> None:
        """delete_path on root/link_out removes the link; the outside directory stays intact."""
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text(SECRET)
        (root_dir / "link_out").symlink_to(outside)
        skip = {root_dir, tmp_path / "data"}
        before = snapshot(tmp_path, skip)
        result = await client.call_tool_mcp("delete_path", {"path": "link_out", "recursive": True})
        assert result.structured_content["result"]["type"] == "symlink"
        assert not (root_dir / "link_out").is_symlink()
        assert snapshot(tmp_path, skip) == before
