"""run_tests and monitor_performance with real child processes.

run_tests runs pytest and unittest on a small fixture project with passing, failing, erroring
and skipped tests; a hung suite is killed with its whole process group; the child sees a
minimal environment and the configured resource limits.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
from fastmcp import Client

from mcp_server.app import build_app
from mcp_server.settings import Settings
from observability import Telemetry

PYTEST_SUITE = {
    "test_outcomes.py": '''
        import pytest

        def test_passes():
            assert 1 + 1 == 2

        def test_fails():
            assert [1, 2] == [1, 3], "lists differ"

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture exploded")

        def test_errors(broken):
            pass

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass
    ''',
    "test_environment.py": '''
        import json, os, resource
        from pathlib import Path

        def test_records_what_the_child_sees():
            limits = {name: resource.getrlimit(getattr(resource, name))[0] for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE")}
            report = {"env": sorted(os.environ), "limits": limits, "pgid": os.getpgid(0), "sid": os.getsid(0)}
            (Path(__file__).parent / "seen.json").write_text(json.dumps(report))
    ''',
}
UNITTEST_SUITE = '''
    import unittest

    class Outcomes(unittest.TestCase):
        def test_ok(self):
            self.assertEqual(1, 1)

        def test_bad(self):
            self.assertEqual(1, 2, "one is not two")

        def test_err(self):
            raise KeyError("nope")

        @unittest.skip("later")
        def test_skip(self):
            pass
'''
HANGING_SUITE = '''
    import subprocess, time, unittest
    from pathlib import Path

    class Hangs(unittest.TestCase):
        def test_hangs(self):
            child = subprocess.Popen(["sleep", "300.417"])  # a distinctive argv to look for
            (Path(__file__).parent / "grandchild.pid").write_text(str(child.pid))
            time.sleep(300)
'''


def _write(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text))


@pytest.fixture
def dev_settings(make_settings: Callable[..., Settings], root_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A root with the fixture suites; secrets in the server's environment that must not leak."""
    _write(root_dir / "pyproj", PYTEST_SUITE)
    _write(root_dir / "uproj", {"test_unit.py": UNITTEST_SUITE})
    _write(root_dir / "hang", {"test_hang.py": HANGING_SUITE})
    monkeypatch.setenv("MCP_SERVER_AUTH_TOKEN", "server-secret-token")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer abc")
    return make_settings(command_timeout_s=60, memory_limit_mb=768)


async def _run(settings: Settings, telemetry: Telemetry, arguments: dict[str, Any]) -> Any:
    app = build_app(settings, telemetry)
    try:
        async with Client(app.mcp) as client:
            return await client.call_tool_mcp(arguments.pop("tool", "run_tests"), arguments)
    finally:
        app.services.close()


class TestRunTests:
    async def test_pytest_counts_messages_environment_limits_and_span(
        self, dev_settings: Settings, telemetry: Telemetry, spans: Any, root_dir: Path
    ) -> None:
        """5 tests: 2 passed, 1 failed, 1 error, 1 skipped, with messages; a minimal, limited child; a child span."""
        result = await _run(dev_settings, telemetry, {"path": "pyproj"})
        report = result.structured_content["result"]
        counts = {key: report[key] for key in ("tests", "passed", "failed", "errors", "skipped")}
        assert counts == {"tests": 5, "passed": 2, "failed": 1, "errors": 1, "skipped": 1}
        assert (report["exit_code"], report["success"], report["report_found"]) == (1, False, True)
        failures = {f["test"]: f for f in report["failures"]}
        assert failures["test_outcomes::test_fails"]["kind"] == "failure"
        assert "lists differ" in failures["test_outcomes::test_fails"]["message"]
        assert failures["test_outcomes::test_errors"]["kind"] == "error"
        assert "fixture exploded" in failures["test_outcomes::test_errors"]["message"]
        assert "1 failed" in report["output_tail"]

        seen = json.loads((root_dir / "pyproj" / "seen.json").read_text())
        assert not [name for name in seen["env"] if name.startswith(("MCP_SERVER_", "OTEL_"))]
        assert seen["limits"] == {"RLIMIT_AS": 768 * 1_048_576, "RLIMIT_CPU": 61, "RLIMIT_FSIZE": 1 << 30}
        assert seen["sid"] != os.getsid(0), "the child runs in its own session"

        (run_span,) = [s for s in spans.get_finished_spans() if s.name == "run_tests pytest"]
        (tool_span,) = [s for s in spans.get_finished_spans() if s.name == "mcp.tool.run_tests"]
        assert run_span.parent.span_id == tool_span.context.span_id
        assert (run_span.attributes["mcp.tests.failed"], run_span.attributes["process.exit.code"]) == (1, 1)

    async def test_unittest_counts_and_messages(self, dev_settings: Settings, telemetry: Telemetry) -> None:
        """The unittest runner reports the same shape: 1 passed, 1 failed, 1 error, 1 skipped."""
        result = await _run(dev_settings, telemetry, {"path": "uproj", "runner": "unittest"})
        report = result.structured_content["result"]
        counts = {key: report[key] for key in ("tests", "passed", "failed", "errors", "skipped")}
        assert counts == {"tests": 4, "passed": 1, "failed": 1, "errors": 1, "skipped": 1}
        messages = {f["test"]: f["message"] for f in report["failures"]}
        assert messages["test_unit.Outcomes::test_bad"] == "AssertionError: 1 != 2 : one is not two"
        assert messages["test_unit.Outcomes::test_err"] == "KeyError: 'nope'"

    async def test_a_hanging_suite_times_out_and_its_whole_group_is_killed(
        self, dev_settings: Settings, telemetry: Telemetry, root_dir: Path
    ) -> None:
        """timeout_s=2: type timeout, and the grandchild `sleep 300` the test started is gone too."""
        result = await _run(dev_settings, telemetry, {"path": "hang", "runner": "unittest", "timeout_s": 2})
        assert result.structured_content["type"] == "timeout"
        assert (root_dir / "hang" / "grandchild.pid").exists(), "the grandchild was started"
        # Looked up by argv: in the sandbox the pid it wrote is one of its own PID namespace.
        assert not _alive_by_argv(["sleep", "300.417"])


def _alive_by_argv(argv: list[str]) -> bool:
    """Whether a live (non-zombie) process with exactly this argv still exists after 5 s."""
    for _ in range(50):
        alive = []
        for process in psutil.process_iter(["cmdline", "status"]):
            if process.info["cmdline"] == argv and process.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append(process)
        if not alive:
            return False
        time.sleep(0.1)
    return True


class TestMonitorManagedProcess:
    async def test_samples_one_managed_process_tree(self, dev_settings: Settings, telemetry: Telemetry) -> None:
        """A busy process started with start_process is sampled; unknown ids are process_not_found."""
        app = build_app(dev_settings, telemetry)
        try:
            async with Client(app.mcp) as client:
                started = await client.call_tool_mcp(
                    "start_process", {"command": [sys.executable, "-c", "while True: pass"]}
                )
                process_id = started.structured_content["result"]["process_id"]
                arguments = {"process_id": process_id, "duration_s": 0.6, "interval_s": 0.2}
                result = await client.call_tool_mcp("monitor_performance", arguments)
                unknown = await client.call_tool_mcp("monitor_performance", {"process_id": "p-unknown"})
                await client.call_tool_mcp("kill_process", {"process_id": process_id})
        finally:
            app.services.close()
        report = result.structured_content["result"]
        assert (report["scope"], report["process_id"]) == ("process", process_id)
        assert len(report["samples"]) == 3
        assert report["summary"]["cpu_percent"]["max"] > 20
        assert all(sample["rss_bytes"] > 0 for sample in report["samples"])
        assert unknown.structured_content["type"] == "process_not_found"