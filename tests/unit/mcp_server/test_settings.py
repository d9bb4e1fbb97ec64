"""Settings: environment, TOML file and CLI flags, in that order of precedence; bad values stop start-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from mcp_server.cli import describe_settings_error
from mcp_server.settings import Settings, load_settings


class TestSources:
    def test_defaults_match_the_spec(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Host 127.0.0.1, port 8000, timeout 30 s, roots = cwd, execution auto, redacted args."""
        monkeypatch.chdir(tmp_path)
        settings = Settings()
        assert (settings.host, settings.port, settings.command_timeout_s) == ("127.0.0.1", 8000, 30.0)
        assert settings.allowed_roots == [tmp_path.resolve()]
        assert settings.execution == "auto"
        assert settings.record_arguments == "redacted"
        assert "admin" not in settings.tools
        assert settings.sandbox_network is False

    def test_environment_variables_use_the_mcp_server_prefix(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """MCP_SERVER_PORT and friends are read; lists are comma- or pathsep-separated."""
        other = tmp_path / "b"
        other.mkdir()
        monkeypatch.setenv("MCP_SERVER_PORT", "9001")
        monkeypatch.setenv("MCP_SERVER_BLOCKED_COMMANDS", "touch, rm ,")
        monkeypatch.setenv("MCP_SERVER_TOOLS", "utility,observability")
        monkeypatch.setenv("MCP_SERVER_ALLOWED_ROOTS", f"{tmp_path}{os.pathsep}{other}")
        settings = Settings()
        assert settings.port == 9001
        assert settings.blocked_commands == ["touch", "rm"]
        assert settings.tools == ["utility", "observability"]
        assert settings.allowed_roots == [tmp_path.resolve(), other.resolve()]

    def test_standard_otel_variables_are_honoured(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """OTEL_SDK_DISABLED, OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_* keep their names."""
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "svc")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        settings = Settings()
        assert settings.otel_sdk_disabled and not settings.telemetry_enabled
        assert settings.otel_service_name == "svc"
        assert settings.otlp_endpoint == "http://collector:4318"
        assert settings.otlp_protocol == "grpc"

    def test_toml_overrides_environment_and_cli_overrides_toml(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Precedence: CLI flag > TOML file > environment > default."""
        config = tmp_path / "server.toml"
        config.write_text('port = 7000\nhost = "localhost"\nlog_level = "DEBUG"\n')
        monkeypatch.setenv("MCP_SERVER_PORT", "6000")
        monkeypatch.setenv("MCP_SERVER_LOG_LEVEL", "ERROR")
        monkeypatch.setenv("MCP_SERVER_COMMAND_TIMEOUT_S", "5")
        settings = load_settings(config_file=config, port=7100, host=None)
        assert settings.port == 7100
        assert settings.host == "localhost"
        assert settings.log_level == "DEBUG"
        assert settings.command_timeout_s == 5.0

    def test_secrets_are_masked_in_the_summary(self) -> None:
        """The start-up summary shows *** for tokens."""
        settings = Settings(auth_token="s3cret-token", admin_token="adm1n-token")
        summary = settings.summary()
        assert summary["auth_token"] == "***" and summary["admin_token"] == "***"
        assert "s3cret-token" not in repr(summary)


class TestInvalidSettings:
    @pytest.mark.parametrize(
        ("env", "value", "named"),
        [
            ("MCP_SERVER_PORT", "70000", "MCP_SERVER_PORT"),
            ("MCP_SERVER_EXECUTION", "yolo", "MCP_SERVER_EXECUTION"),
            ("MCP_SERVER_TOOLS", "utility,everything", "MCP_SERVER_TOOLS"),
            ("MCP_SERVER_ALLOWED_ROOTS", "/does/not/exist", "MCP_SERVER_ALLOWED_ROOTS"),
            ("MCP_SERVER_COMMAND_TIMEOUT_S", "-1", "MCP_SERVER_COMMAND_TIMEOUT_S"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "OTEL_EXPORTER_OTLP_ENDPOINT"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift", "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ],
    )
    def test_a_bad_value_is_refused_with_a_line_naming_the_setting(
        self, monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
    ) -> None:
        """Invalid values never fall back to a default: one line names the variable."""
        monkeypatch.setenv(env, value)
        with pytest.raises(ValidationError) as caught:
            Settings()
        line = describe_settings_error(caught.value)
        assert named in line
        assert "\n" not in line

    def test_non_loopback_bind_without_a_token_is_refused(self) -> None:
        """Binding 0.0.0.0 over HTTP without MCP_SERVER_AUTH_TOKEN does not start."""
        with pytest.raises(ValidationError, match="MCP_SERVER_AUTH_TOKEN"):
            Settings(transport="http", host="0.0.0.0")
        assert Settings(transport="http", host="0.0.0.0", auth_token="t" * 16).host == "0.0.0.0"

    def test_unknown_toml_keys_are_refused(self, tmp_path: Path) -> None:
        """A typo in the config file is an error, not silently ignored."""
        config = tmp_path / "bad.toml"
        config.write_text("prot = 1\n")
        with pytest.raises(ValidationError):
            load_settings(config_file=config)
