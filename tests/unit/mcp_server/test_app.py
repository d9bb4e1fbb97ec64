"""The app's view of settings for telemetry, and the classification of call outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastmcp.tools.base import ToolResult

from mcp_server.app import classify_outcome, telemetry_config
from mcp_server.errors import BlockedCommandError
from mcp_server.settings import Settings
from observability import Redactor


class TestTelemetryConfig:
    def test_otlp_header_values_are_treated_as_secrets(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Values of OTEL_EXPORTER_OTLP_HEADERS never appear in recorded arguments."""
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc%20def123,x-tenant=acme-tenant")
        config = telemetry_config(Settings(data_dir=tmp_path))
        text = Redactor(secrets=config.secrets).arguments_json({"command": "echo abc def123 acme-tenant"})
        assert "abc def123" not in text and "acme-tenant" not in text

    def test_tokens_are_secrets_and_telemetry_follows_the_switches(self, tmp_path: Path) -> None:
        """Auth and admin tokens are secrets; TELEMETRY=off disables."""
        config = telemetry_config(Settings(data_dir=tmp_path, auth_token="a" * 20, admin_token="b" * 20, telemetry="off"))
        assert {"a" * 20, "b" * 20} <= set(config.secrets)
        assert config.enabled is False
        assert config.traces_file == tmp_path / "traces.jsonl"


class TestClassifyOutcome:
    def test_exceptions_results_and_successes(self) -> None:
        """Exceptions map by taxonomy; isError results by their envelope type; success is None."""
        assert classify_outcome(BlockedCommandError("no")) == "blocked_command"
        assert classify_outcome(RuntimeError("x")) == "internal_error"
        assert classify_outcome(ToolResult(structured_content={"status": "success", "result": 1})) is None
        error = ToolResult(structured_content={"status": "error", "error": "e", "type": "not_found"}, is_error=True)
        assert classify_outcome(error) == "not_found"
        odd = ToolResult(structured_content={"type": "made-up"}, is_error=True)
        assert classify_outcome(odd) == "internal_error"
