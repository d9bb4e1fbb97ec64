"""The files group through a real MCP client: behaviour, errors, cache metrics, annotations, spans."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from mcp_server.app import App
from observability import Telemetry
from observability.testing import metric_value


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The structured content of a call (the envelope)."""
    result = await client.call_tool_mcp(tool, arguments)
    return dict(result.structured_content)


def result_of(envelope: dict[str, Any]) -> dict[str, Any]:
    assert envelope["status"] == "success", envelope
    return dict(envelope["result"])


class TestAnnotations:
    async def test_every_file_and_dev_tool_declares_its_hints(self, client: Client) -> None:
        """readOnly/destructive/idempotent/openWorld are set as each tool behaves."""
        expected = {
            "read_file": (True, False, True, False),
            "write_file": (False, True, False, False),
            "edit_file": (False, True, False, False),
            "list_directory": (True, False, True, False),
            "search_files": (True, False, True, False),
            "file_info": (True, False, True, False),
            "move_path": (False, True, False, False),
            "create_directory": (False, False, True, False),
            "delete_path": (False, True, True, False),
            "analyze_code": (True, False, True, False),
            "monitor_performance": (True, False, True, False),
            "run_tests": (False, True, False, True),
        }
        tools = {tool.name: tool.annotations for tool in await client.list_tools()}
        for name, hints in expected.items():
            notes = tools[name]
            assert (notes.read_only_hint, notes.destructive_hint, notes.idempotent_hint, notes.open_world_hint) == hints, name


class TestReadFile:
    async def test_pages_through_a_file_in_both_protocol_eras(self, app: App, root_dir: Path, era: str) -> None:
        """offset/limit pages with total_lines and next_offset, under 2026-07-28 and the handshake."""
        (root_dir / "log.txt").write_text("".join(f"{n}\n" for n in range(1, 8)))
        async with Client(app.mcp, mode=era) as client:
            first = result_of(await call(client, "read_file", path="log.txt", limit=3))
            second = result_of(await call(client, "read_file", path="log.txt", offset=first["next_offset"], limit=10))
        assert (first["content"], first["total_lines"], first["next_offset"]) == ("1\n2\n3\n", 7, 3)
        assert (second["content"], second["start_line"], second["next_offset"]) == ("4\n5\n6\n7\n", 4, None)

    async def test_binary_is_refused_unless_base64_is_asked(self, client: Client, root_dir: Path) -> None:
        """A file with NUL bytes is binary_file as text and exact bytes as base64."""
        data = bytes(range(256))
        (root_dir / "blob.bin").write_bytes(data)
        refused = await call(client, "read_file", path="blob.bin")
        assert refused["type"] == "binary_file"
        assert "base64" in refused["error"]
        read = result_of(await call(client, "read_file", path="blob.bin", encoding="base64"))
        assert base64.b64decode(read["content"]) == data

    @pytest.mark.parametrize(("path", "error_type"), [("missing.txt", "not_found"), ("adir", "invalid_arguments"), (".", "invalid_arguments")])
    async def test_missing_files_and_directories_are_clear_errors(
        self, client: Client, root_dir: Path, path: str, error_type: str
    ) -> None:
        """Missing path: not_found; a directory (the root included): invalid_arguments."""
        (root_dir / "adir").mkdir()
        assert (await call(client, "read_file", path=path))["type"] == error_type

    async def test_the_file_cache_counts_hits_and_misses_and_a_write_invalidates(
        self, client: Client, root_dir: Path, telemetry: Telemetry
    ) -> None:
        """read, read, write, read: one hit, two misses on mcp_cache_requests_total{cache="file"}."""
        (root_dir / "c.txt").write_text("v1\n")
        assert result_of(await call(client, "read_file", path="c.txt"))["cached"] is False
        assert result_of(await call(client, "read_file", path="c.txt"))["cached"] is True
        result_of(await call(client, "write_file", path="c.txt", content="v2\n"))
        fresh = result_of(await call(client, "read_file", path="c.txt"))
        assert (fresh["content"], fresh["cached"]) == ("v2\n", False)
        assert metric_value(telemetry, "mcp_cache_requests_total", cache="file", result="hit") == 1
        assert metric_value(telemetry, "mcp_cache_requests_total", cache="file", result="miss") == 2


class TestWriteFile:
    async def test_create_mode_refuses_an_existing_file(self, client: Client, root_dir: Path) -> None:
        """mode=create on an existing file is already_exists and the file is untouched."""
        (root_dir / "keep.txt").write_text("original")
        refused = await call(client, "write_file", path="keep.txt", content="new", mode="create")
        assert refused["type"] == "already_exists"
        assert (root_dir / "keep.txt").read_text() == "original"

    async def test_overwrite_keeps_the_mode_and_append_adds(self, client: Client, root_dir: Path) -> None:
        """An executable stays executable after a write; append adds to the end."""
        script = root_dir / "run.sh"
        script.write_text("#!/bin/sh\n")
        script.chmod(0o755)
        result_of(await call(client, "write_file", path="run.sh", content="#!/bin/sh\necho hi\n"))
        result_of(await call(client, "write_file", path="run.sh", content="echo bye\n", mode="append"))
        assert script.read_text() == "#!/bin/sh\necho hi\necho bye\n"
        assert stat.S_IMODE(script.stat().st_mode) == 0o755

    async def test_a_missing_parent_needs_create_parents(self, client: Client, root_dir: Path) -> None:
        """Without create_parents the error says how to fix it; with it the file is written."""
        refused = await call(client, "write_file", path="a/b/c.txt", content="x")
        assert (refused["type"], "create_parents" in refused["error"]) == ("not_found", True)
        written = result_of(await call(client, "write_file", path="a/b/c.txt", content="x", create_parents=True))
        assert written["created"] is True
        assert (root_dir / "a" / "b" / "c.txt").read_text() == "x"

    async def test_file_content_reaches_the_span_only_as_a_byte_count(self, client: Client, spans: Any) -> None:
        """write_file's content and edit_file's texts are recorded on spans as sizes."""
        await call(client, "write_file", path="s.txt", content="password=hunter2")
        await call(client, "edit_file", path="s.txt", edits=[{"old_text": "hunter2", "new_text": "swordfish"}])
        recorded = [s.attributes["mcp.tool.arguments"] for s in spans.get_finished_spans() if s.name.startswith("mcp.tool.")]
        assert len(recorded) == 2
        assert not any("hunter2" in text or "swordfish" in text for text in recorded)
        assert json.loads(recorded[0])["content"] == "<16 bytes>"


class TestEditFile:
    async def test_dry_run_returns_the_diff_and_changes_nothing(self, client: Client, root_dir: Path) -> None:
        """dry_run=true shows the unified diff; the file keeps its content."""
        (root_dir / "e.py").write_text("x = 1\ny = 2\n")
        edit = [{"old_text": "y = 2", "new_text": "y = 3"}]
        preview = result_of(await call(client, "edit_file", path="e.py", edits=edit, dry_run=True))
        assert "-y = 2\n+y = 3\n" in preview["diff"]
        assert (root_dir / "e.py").read_text() == "x = 1\ny = 2\n"
        applied = result_of(await call(client, "edit_file", path="e.py", edits=edit))
        assert (applied["replacements"], applied["changed"]) == (1, True)
        assert (root_dir / "e.py").read_text() == "x = 1\ny = 3\n"

    async def test_a_count_mismatch_is_invalid_arguments_and_the_file_is_unchanged(
        self, client: Client, root_dir: Path
    ) -> None:
        """Two occurrences where one was expected: clear error, nothing written."""
        (root_dir / "d.txt").write_text("a a")
        refused = await call(client, "edit_file", path="d.txt", edits=[{"old_text": "a", "new_text": "b"}])
        assert refused["type"] == "invalid_arguments"
        assert "occurs 2 time(s), expected 1" in refused["error"]
        assert (root_dir / "d.txt").read_text() == "a a"


class TestDirectoriesAndSearch:
    async def test_list_directory_shows_types_and_hides_nothing_by_default(self, client: Client, root_dir: Path) -> None:
        """Entries sorted by name with their type; symlinks are listed as symlinks."""
        (root_dir / "b.txt").write_text("bb")
        (root_dir / "a_dir").mkdir()
        (root_dir / ".hidden").write_text("")
        (root_dir / "link").symlink_to(root_dir / "b.txt")
        listing = result_of(await call(client, "list_directory", path="."))
        assert [(e["name"], e["type"]) for e in listing["entries"]] == [
            (".hidden", "file"), ("a_dir", "directory"), ("b.txt", "file"), ("link", "symlink"),
        ]  # fmt: skip
        assert listing["entries"][2]["size_bytes"] == 2

    async def test_search_finds_lines_by_regex_and_stops_at_max_results(self, client: Client, root_dir: Path) -> None:
        """content_regex gives path, 1-based line and text; max_results truncates."""
        (root_dir / "src").mkdir()
        (root_dir / "src" / "a.py").write_text("import os\n# TODO one\n# TODO two\n")
        (root_dir / "src" / "b.txt").write_text("TODO not python\n")
        found = result_of(await call(client, "search_files", pattern="*.py", content_regex=r"TODO \w+"))
        assert [(Path(m["path"]).name, m["line"], m["text"]) for m in found["matches"]] == [
            ("a.py", 2, "# TODO one"), ("a.py", 3, "# TODO two"),
        ]  # fmt: skip
        capped = result_of(await call(client, "search_files", content_regex="TODO", max_results=1))
        assert (len(capped["matches"]), capped["truncated"]) == (1, True)

    async def test_the_time_bound_stops_a_search_with_partial_results(self, client: Client, root_dir: Path) -> None:
        """A search whose time bound has passed returns what it has, marked timed_out (not an error)."""
        for n in range(20):
            (root_dir / f"f{n}.txt").write_text("needle\n")
        bounded = result_of(await call(client, "search_files", content_regex="needle", timeout_s=0.000001))
        assert bounded["timed_out"] is True
        assert len(bounded["matches"]) < 20

    async def test_create_directory_is_idempotent_and_file_info_describes_it(self, client: Client, root_dir: Path) -> None:
        """A second create reports created=false; file_info shows the directory's type and mode."""
        assert result_of(await call(client, "create_directory", path="x/y"))["created"] is True
        assert result_of(await call(client, "create_directory", path="x/y"))["created"] is False
        info = result_of(await call(client, "file_info", path="x/y"))
        assert (info["type"], info["permissions"][0]) == ("directory", "d")


class TestMoveAndDelete:
    async def test_delete_needs_recursive_for_a_directory_and_refuses_the_root(self, client: Client, root_dir: Path) -> None:
        """Directories need recursive=true; the root itself is permission_denied."""
        (root_dir / "tree" / "leaf").mkdir(parents=True)
        assert (await call(client, "delete_path", path="tree"))["type"] == "invalid_arguments"
        assert result_of(await call(client, "delete_path", path="tree", recursive=True))["deleted"] is True
        assert not (root_dir / "tree").exists()
        assert (await call(client, "delete_path", path=".", recursive=True))["type"] == "permission_denied"
        assert (await call(client, "delete_path", path=str(root_dir), recursive=True))["type"] == "permission_denied"
        assert root_dir.is_dir()

    async def test_move_refuses_to_overwrite_unless_asked(self, client: Client, root_dir: Path) -> None:
        """An existing destination is already_exists; overwrite=true replaces it."""
        (root_dir / "a.txt").write_text("a")
        (root_dir / "b.txt").write_text("b")
        assert (await call(client, "move_path", source="a.txt", destination="b.txt"))["type"] == "already_exists"
        moved = result_of(await call(client, "move_path", source="a.txt", destination="b.txt", overwrite=True))
        assert moved["replaced"] is True
        assert (root_dir / "b.txt").read_text() == "a"
        assert not (root_dir / "a.txt").exists()

    async def test_a_directory_cannot_move_into_itself(self, client: Client, root_dir: Path) -> None:
        """Moving d into d/sub is invalid_arguments."""
        (root_dir / "d").mkdir()
        assert (await call(client, "move_path", source="d", destination="d/sub"))["type"] == "invalid_arguments"
