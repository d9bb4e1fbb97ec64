"""Hostile arguments to the command tools: a clear error type each time, and the server keeps serving."""

from __future__ import annotations

from typing import Any

import pytest
from fastmcp import Client

HUGE = "x" * 70_000

CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("command-wrong-type", "execute_command", {"command": 42}, "invalid_arguments"),
    ("command-object", "execute_command", {"command": {"sh": "-c"}}, "invalid_arguments"),
    ("command-empty", "execute_command", {"command": ""}, "invalid_arguments"),
    ("argv-empty", "execute_command", {"command": []}, "invalid_arguments"),
    ("argv-empty-program", "execute_command", {"command": [""]}, "invalid_arguments"),
    ("argv-non-strings", "execute_command", {"command": ["echo", 1]}, "invalid_arguments"),
    ("command-huge", "execute_command", {"command": "echo " + HUGE}, "invalid_arguments"),
    ("argv-too-many", "execute_command", {"command": ["echo"] * 2000}, "invalid_arguments"),
    ("command-nul", "execute_command", {"command": "echo a\x00b"}, "invalid_arguments"),
    ("argv-nul", "execute_command", {"command": ["echo", "a\x00b"]}, "invalid_arguments"),
    (
        "cwd-traversal",
        "execute_command",
        {"command": "pwd", "cwd": "../../../../etc"},
        "path_outside_roots",
    ),
    (
        "cwd-absolute-outside",
        "execute_command",
        {"command": "pwd", "cwd": "/etc"},
        "path_outside_roots",
    ),
    ("cwd-nul", "execute_command", {"command": "pwd", "cwd": "sub\x00dir"}, "path_outside_roots"),
    ("cwd-missing", "execute_command", {"command": "pwd", "cwd": "does/not/exist"}, "not_found"),
    ("cwd-wrong-type", "execute_command", {"command": "pwd", "cwd": ["a"]}, "invalid_arguments"),
    (
        "timeout-negative",
        "execute_command",
        {"command": "true", "timeout_s": -1},
        "invalid_arguments",
    ),
    (
        "timeout-string",
        "execute_command",
        {"command": "true", "timeout_s": "soon"},
        "invalid_arguments",
    ),
    (
        "timeout-huge",
        "execute_command",
        {"command": "true", "timeout_s": 1e12},
        "invalid_arguments",
    ),
    (
        "env-bad-name",
        "execute_command",
        {"command": "true", "env": {"BAD NAME": "x"}},
        "invalid_arguments",
    ),
    (
        "env-function-export",
        "execute_command",
        {"command": "true", "env": {"BASH_FUNC_ls%%": "() { :; }"}},
        "invalid_arguments",
    ),
    (
        "env-nul-value",
        "execute_command",
        {"command": "true", "env": {"A": "x\x00y"}},
        "invalid_arguments",
    ),
    (
        "env-not-strings",
        "execute_command",
        {"command": "true", "env": {"A": 1}},
        "invalid_arguments",
    ),
    (
        "env-too-many",
        "execute_command",
        {"command": "true", "env": {f"V{i}": "x" for i in range(500)}},
        "invalid_arguments",
    ),
    (
        "env-loader",
        "execute_command",
        {"command": "true", "env": {"LD_PRELOAD": "/tmp/x.so"}},
        "blocked_command",
    ),
    (
        "stdin-huge",
        "execute_command",
        {"command": "cat", "stdin": "x" * 1_100_000},
        "invalid_arguments",
    ),
    (
        "cache-negative",
        "execute_command",
        {"command": "true", "cache_ttl_s": -5},
        "invalid_arguments",
    ),
    (
        "unknown-argument",
        "execute_command",
        {"command": "true", "shell": "/bin/zsh"},
        "invalid_arguments",
    ),
    ("start-blocked", "start_process", {"command": "sudo -i"}, "blocked_command"),
    (
        "start-cwd-outside",
        "start_process",
        {"command": "sleep 1", "cwd": "/"},
        "path_outside_roots",
    ),
    (
        "read-negative-offset",
        "read_process_output",
        {"process_id": "abc", "offset": -1},
        "invalid_arguments",
    ),
    (
        "read-huge-max",
        "read_process_output",
        {"process_id": "abc", "max_bytes": 10**9},
        "invalid_arguments",
    ),
    (
        "read-long-wait",
        "read_process_output",
        {"process_id": "abc", "wait_s": 3600},
        "invalid_arguments",
    ),
    ("read-id-wrong-type", "read_process_output", {"process_id": 7}, "invalid_arguments"),
    ("read-id-huge", "read_process_output", {"process_id": HUGE}, "invalid_arguments"),
    (
        "read-unknown",
        "read_process_output",
        {"process_id": "../../etc/passwd"},
        "process_not_found",
    ),
    (
        "input-unknown",
        "send_process_input",
        {"process_id": "nope", "input": "x"},
        "process_not_found",
    ),
    ("input-missing", "send_process_input", {"process_id": "nope"}, "invalid_arguments"),
    (
        "kill-bad-signal",
        "kill_process",
        {"process_id": "nope", "signal_name": "SIGSTOP"},
        "invalid_arguments",
    ),
    ("kill-unknown", "kill_process", {"process_id": "1"}, "process_not_found"),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "error_type"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_hostile_arguments_get_a_structured_error(
    module_client: Client, tool: str, arguments: dict[str, Any], error_type: str
) -> None:
    """Each bad call is an isError result with the expected type and no stack trace."""
    result = await module_client.call_tool_mcp(tool, arguments)
    assert result.is_error
    assert result.structured_content["type"] == error_type, result.structured_content
    assert "Traceback" not in result.structured_content["error"]


async def test_the_server_keeps_serving_after_the_hostile_calls(module_client: Client) -> None:
    """After all of the above, an ordinary command still runs."""
    result = await module_client.call_tool_mcp("execute_command", {"command": ["echo", "alive"]})
    assert result.structured_content["result"]["stdout"] == "alive\n"
