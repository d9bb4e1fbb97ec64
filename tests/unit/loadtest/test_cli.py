"""Bad `loadtest` arguments: one clear line on stderr and exit status 2, before any connection."""

from __future__ import annotations

import pytest

from mcp_server.cli import main

URL = ["--url", "http://127.0.0.1:9/mcp"]


class TestArgumentErrors:
    @pytest.mark.parametrize(
        ("arguments", "fragment"),
        [
            ([], "one of the arguments --url --stdio is required"),
            ([*URL, "--stdio", "x"], "not allowed with"),
            (["--url", "ftp://h/mcp"], "expected http(s)"),
            (["--url", "localhost:8000"], "expected http(s)"),
            (["--stdio", "   "], "command line is empty"),
            (["--stdio", "'unbalanced"], "cannot split"),
            ([*URL, "--sessions", "0"], "--sessions"),
            ([*URL, "--sessions", "many"], "not a whole number"),
            ([*URL, "--calls", "5", "--duration", "1"], "not allowed with"),
            ([*URL, "--duration", "0"], "--duration"),
            ([*URL, "--rate", "nan"], "--rate"),
            ([*URL, "--rate", "-2"], "--rate"),
            ([*URL, "--warmup", "-1"], "--warmup"),
            ([*URL, "--protocol", "2025"], "invalid choice"),
            ([*URL, "--mix", "calculate=heavy"], "whole number"),
            ([*URL, "--mix", ","], "empty"),
            ([*URL, "--mix", "calculate=1", "--args", "calculate=notjson"], "not valid JSON"),
            ([*URL, "--mix", "calculate=1", "--args", "other={}"], "does not name"),
            ([*URL, "--metrics-url", "nowhere"], "--metrics-url"),
        ],
    )
    def test_bad_arguments_exit_2_with_one_line(
        self, arguments: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each bad argument gives exit status 2 and a single stderr line that names the problem."""
        with pytest.raises(SystemExit) as exited:
            raise SystemExit(main(["loadtest", *arguments]))
        assert exited.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert err[0].startswith("mcp-observatory loadtest: error:")
        assert fragment in err[0]

    def test_an_unknown_option_exits_2_naming_it(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An option the command does not have is named by the top-level parser (exit 2)."""
        with pytest.raises(SystemExit) as exited:
            main(["loadtest", *URL, "--bogus"])
        assert exited.value.code == 2
        assert "unrecognized arguments: --bogus" in capsys.readouterr().err
