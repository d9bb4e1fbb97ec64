"""`mcp-observatory loadtest` against the real server in a subprocess (HTTP and stdio, both eras).

The reports' figures are checked for sense, never for speed: percentiles in order, calls equal
to the sum over entries, errors counted by type, and the server's own counts equal to ours.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadtest.mix import DEFAULT_MIX, parse_mix
from mcp_server.cli import main
from tests.helpers.server_process import HttpServer, free_port, server_env

# calculate#invalid fails deterministically (invalid_arguments) on every call.
MIX = "calculate=4,calculate#invalid=1,context_get=1,health_check=1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One real HTTP server for the module."""
    base = tmp_path_factory.mktemp("loadtest")
    (base / "root").mkdir()
    with HttpServer(server_env(base / "data", base / "root")) as running:
        yield running


def _loadtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *arguments: str
) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    status = main(["loadtest", *arguments, "--out", str(out), "--seed", "7"])
    captured = capsys.readouterr()
    report = json.loads(out.read_text()) if out.exists() else {}
    return status, report, captured.out + captured.err


def _assert_sensible(report: dict[str, Any]) -> None:
    for figures in (report, *report["per_tool"].values()):
        latency = figures["latency_ms"]
        assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
        assert figures["throughput_per_s"] > 0 and figures["duration_s"] > 0
    assert report["calls"] == sum(entry["calls"] for entry in report["per_tool"].values())
    errors: dict[str, int] = {}
    for entry in report["per_tool"].values():
        for error_type, count in entry["errors"].items():
            errors[error_type] = errors.get(error_type, 0) + count
    assert report["errors"] == errors


class TestClosedLoop:
    @pytest.mark.parametrize("protocol", ["auto", "legacy"])
    def test_report_makes_sense_and_matches_the_servers_own_count(
        self, server: HttpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], protocol: str
    ) -> None:
        """100 calls over 2 sessions: fields in order, errors by type, /metrics deltas equal to ours."""
        status, report, output = _loadtest(
            tmp_path,
            capsys,
            "--url",
            server.url,
            "--calls",
            "100",
            "--sessions",
            "2",
            "--protocol",
            protocol,
            "--mix",
            MIX,
        )
        assert status == 0, output
        assert report["calls"] == 100
        _assert_sensible(report)
        invalid = report["per_tool"]["calculate#invalid"]
        assert invalid["calls"] > 0 and invalid["errors"] == {"invalid_arguments": invalid["calls"]}
        assert report["errors"] == {"invalid_arguments": invalid["calls"]}
        assert report["per_tool"]["calculate"]["errors"] == {}
        view = report["server"]
        assert view["reachable"] is True
        assert view["calls"] == 100
        assert view["errors"] == report["errors"]
        assert (
            view["per_tool"]["calculate"]["calls"]
            == report["per_tool"]["calculate"]["calls"] + invalid["calls"]
        )
        assert view["latency_ms"]["p50"] <= view["latency_ms"]["p99"]
        assert view["process_after"]["rss_bytes"] > 0
        assert "TOTAL" in output and "invalid_arguments=" in output
        assert report["settings"]["protocol"] == protocol

    def test_default_mix_drops_absent_tools_with_a_warning(
        self, server: HttpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Default-mix entries for tools the server lacks are dropped and named; the rest runs."""
        status, report, output = _loadtest(
            tmp_path, capsys, "--url", server.url, "--calls", "40", "--quiet"
        )
        assert status == 0, output
        ran = set(report["per_tool"])
        dropped = set(parse_mix(DEFAULT_MIX)) - ran
        for name in dropped:
            assert any(note.startswith(f"warning: dropping {name} ") for note in report["notes"]), (
                report["notes"]
            )
            assert f"dropping {name} " in output
        assert len(report["notes"]) == len(dropped)
        assert "calculate" in ran and report["errors"] == {}
        _assert_sensible(
            {**report, "per_tool": {k: v for k, v in report["per_tool"].items() if v["calls"]}}
        )


class TestOpenLoop:
    def test_a_fixed_rate_issues_exactly_rate_times_duration_calls(
        self, server: HttpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--rate 150 for 1 s schedules 150 calls; each is measured from its intended start."""
        status, report, output = _loadtest(
            tmp_path,
            capsys,
            "--url",
            server.url,
            "--rate",
            "150",
            "--duration",
            "1",
            "--sessions",
            "2",
            "--mix",
            MIX,
            "--warmup",
            "0.3",
        )
        assert status == 0, output
        assert report["calls"] == 150
        assert report["settings"]["mode"] == "open-loop"
        _assert_sensible(report)
        assert report["server"]["calls"] == 150


class TestStdio:
    def test_stdio_server_with_metrics_port(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Over stdio (the server spawned by the load test), with its /metrics on a side port."""
        (tmp_path / "root").mkdir()
        port = free_port()
        command = (
            f"env MCP_SERVER_DATA_DIR={tmp_path / 'data'} MCP_SERVER_ALLOWED_ROOTS={tmp_path / 'root'} "
            f"MCP_SERVER_METRICS_PORT={port} {sys.executable} -m mcp_server serve --transport stdio"
        )
        status, report, output = _loadtest(
            tmp_path,
            capsys,
            "--stdio",
            command,
            "--calls",
            "60",
            "--sessions",
            "2",
            "--mix",
            MIX,
            "--metrics-url",
            f"http://127.0.0.1:{port}/metrics",
            "--protocol",
            "legacy",
        )
        assert status == 0, output
        assert report["calls"] == 60
        _assert_sensible(report)
        assert report["server"]["calls"] == 60


def test_an_unreachable_server_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing listening: exit status 1 and one line naming the URL, no traceback."""
    url = f"http://127.0.0.1:{free_port()}/mcp"
    status, report, output = _loadtest(
        tmp_path, capsys, "--url", url, "--calls", "5", "--timeout", "5"
    )
    assert status == 1
    assert report == {}
    lines = output.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "Traceback" not in output


class TestBearerToken:
    def test_token_reaches_the_tools_and_metrics_and_its_absence_is_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With MCP_SERVER_AUTH_TOKEN set, --token gets calls and /metrics through; without it, exit 1."""
        (tmp_path / "root").mkdir()
        env = server_env(
            tmp_path / "data", tmp_path / "root", {"MCP_SERVER_AUTH_TOKEN": "s3cret-token"}
        )
        with HttpServer(env) as running:
            try:
                urllib.request.urlopen(f"{running.base_url}/metrics", timeout=10)
            except urllib.error.HTTPError as exc:
                assert exc.code == 401
            else:
                pytest.skip("this tree's server has no bearer auth yet")
            status, report, output = _loadtest(
                tmp_path,
                capsys,
                "--url",
                running.url,
                "--token",
                "s3cret-token",
                "--calls",
                "20",
                "--mix",
                MIX,
            )
            assert status == 0, output
            assert report["calls"] == 20 and report["server"]["reachable"] is True
            assert report["server"]["calls"] == 20
            status, report, output = _loadtest(
                tmp_path / "no-token", capsys, "--url", running.url, "--calls", "5"
            )
        assert status == 1 and report == {}
        lines = output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in output and "s3cret" not in output
