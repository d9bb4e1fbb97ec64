"""Wrong types, huge values and nonsense for every files and dev tool: a clear error, and the server serves on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

HUGE = "x" * (8 * 1_048_576 + 1)

CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("read-path-int", "read_file", {"path": 123}, "invalid_arguments"),
    ("read-path-missing", "read_file", {}, "invalid_arguments"),
    ("read-path-empty", "read_file", {"path": ""}, "invalid_arguments"),
    ("read-path-overlong", "read_file", {"path": "a/" * 3000}, "invalid_arguments"),
    ("read-limit-zero", "read_file", {"path": "f.txt", "limit": 0}, "invalid_arguments"),
    ("read-offset-string", "read_file", {"path": "f.txt", "offset": "ten"}, "invalid_arguments"),
    ("read-offset-huge", "read_file", {"path": "f.txt", "offset": 10**30}, "invalid_arguments"),
    ("read-encoding-unknown", "read_file", {"path": "f.txt", "encoding": "rot13"}, "invalid_arguments"),
    ("write-content-none", "write_file", {"path": "w.txt", "content": None}, "invalid_arguments"),
    ("write-content-huge", "write_file", {"path": "w.txt", "content": HUGE}, "invalid_arguments"),
    ("write-mode-unknown", "write_file", {"path": "w.txt", "content": "x", "mode": "truncate"}, "invalid_arguments"),
    ("write-bad-base64", "write_file", {"path": "w.txt", "content": "%%%", "encoding": "base64"}, "invalid_arguments"),
    ("write-lone-surrogate", "write_file", {"path": "w.txt", "content": "\ud800"}, "invalid_arguments"),
    ("write-extra-argument", "write_file", {"path": "w.txt", "content": "x", "sudo": True}, "invalid_arguments"),
    ("edit-no-edits", "edit_file", {"path": "f.txt", "edits": []}, "invalid_arguments"),
    ("edit-edits-string", "edit_file", {"path": "f.txt", "edits": "replace all"}, "invalid_arguments"),
    ("edit-empty-old-text", "edit_file", {"path": "f.txt", "edits": [{"old_text": "", "new_text": "x"}]}, "invalid_arguments"),
    ("edit-unknown-key", "edit_file", {"path": "f.txt", "edits": [{"old_text": "a", "new_text": "b", "regex": True}]}, "invalid_arguments"),
    ("edit-too-many", "edit_file", {"path": "f.txt", "edits": [{"old_text": "a", "new_text": "b"}] * 101}, "invalid_arguments"),
    ("edit-count-negative", "edit_file", {"path": "f.txt", "edits": [{"old_text": "a", "new_text": "b", "expected_count": -1}]}, "invalid_arguments"),
    ("list-limit-huge", "list_directory", {"path": ".", "limit": 10**9}, "invalid_arguments"),
    ("list-path-list", "list_directory", {"path": ["a", "b"]}, "invalid_arguments"),
    ("search-bad-regex", "search_files", {"content_regex": "(unclosed"}, "invalid_arguments"),
    ("search-backreference", "search_files", {"content_regex": r"(a)\1"}, "invalid_arguments"),
    ("search-pattern-empty", "search_files", {"pattern": ""}, "invalid_arguments"),
    ("search-timeout-zero", "search_files", {"timeout_s": 0}, "invalid_arguments"),
    ("search-max-results-huge", "search_files", {"max_results": 10**6}, "invalid_arguments"),
    ("info-path-dict", "file_info", {"path": {"nested": "x"}}, "invalid_arguments"),
    ("move-missing-destination", "move_path", {"source": "f.txt"}, "invalid_arguments"),
    ("move-missing-source-file", "move_path", {"source": "nope.txt", "destination": "x.txt"}, "not_found"),
    ("mkdir-path-none", "create_directory", {"path": None}, "invalid_arguments"),
    ("mkdir-over-a-file", "create_directory", {"path": "f.txt"}, "already_exists"),
    ("delete-recursive-list", "delete_path", {"path": "f.txt", "recursive": [1]}, "invalid_arguments"),
    ("delete-missing", "delete_path", {"path": "nope.txt"}, "not_found"),
    ("analyze-neither", "analyze_code", {}, "invalid_arguments"),
    ("analyze-both", "analyze_code", {"path": "f.txt", "source": "x = 1"}, "invalid_arguments"),
    ("analyze-source-huge", "analyze_code", {"source": HUGE}, "invalid_arguments"),
    ("analyze-language-injection", "analyze_code", {"source": "x", "language": "py; rm -rf /"}, "invalid_arguments"),
    ("analyze-binary-file", "analyze_code", {"path": "blob.bin"}, "binary_file"),
    ("monitor-duration-huge", "monitor_performance", {"duration_s": 1e9}, "invalid_arguments"),
    ("monitor-interval-negative", "monitor_performance", {"interval_s": -1}, "invalid_arguments"),
    ("monitor-top-huge", "monitor_performance", {"top": 10_000}, "invalid_arguments"),
    ("monitor-unknown-process", "monitor_performance", {"process_id": "proc-does-not-exist", "duration_s": 0.1}, "process_not_found"),
    ("tests-runner-unknown", "run_tests", {"runner": "nose"}, "invalid_arguments"),
    ("tests-keyword-shell", "run_tests", {"keyword": "$(rm -rf /)"}, "invalid_arguments"),
    ("tests-timeout-over-limit", "run_tests", {"timeout_s": 3000}, "invalid_arguments"),
    ("tests-missing-path", "run_tests", {"path": "no/such/tests"}, "not_found"),
]  # fmt: skip


@pytest.fixture
def seeded(shared_base: Path) -> Path:
    root = shared_base / "root"
    (root / "f.txt").write_text("a\n")
    (root / "blob.bin").write_bytes(b"\x00\x01\x02")
    return root


def test_every_new_tool_is_attacked() -> None:
    """All twelve files and dev tools appear in the hostile cases."""
    assert len({tool for _id, tool, _args, _type in CASES}) == 12


@pytest.mark.parametrize(("tool", "arguments", "error_type"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_hostile_arguments_get_a_structured_error_and_the_server_keeps_serving(
    shared_client: Client, seeded: Path, tool: str, arguments: dict[str, Any], error_type: str
) -> None:
    """The call is an isError envelope of the expected type; the next call still works."""
    result = await shared_client.call_tool_mcp(tool, arguments)
    assert result.is_error
    assert result.structured_content["status"] == "error"
    assert result.structured_content["type"] == error_type, result.structured_content
    assert "Traceback" not in result.content[0].text
    assert len(result.content[0].text) < 4000, "errors do not echo huge arguments"
    again = await shared_client.call_tool_mcp("read_file", {"path": "f.txt"})
    assert not again.is_error
    assert (seeded / "f.txt").read_text() == "a\n"
