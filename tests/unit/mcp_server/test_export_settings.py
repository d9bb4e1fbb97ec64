"""The telemetry export settings (TOML, environment) and their mapping to the runtime's ExportConfig."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from mcp_server.app import export_config
from mcp_server.cli import describe_settings_error
from mcp_server.settings import load_settings

TOML = """
otlp_endpoint = "http://127.0.0.1:4317"
otlp_protocol = "grpc"
sampler_ratio = 0.25
export_interval_ms = 500

[otlp_headers]
Authorization = "Bearer toml-secret-value"

[resource_attributes]
"deployment.environment" = "staging"
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCP_SERVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MCP_SERVER_ALLOWED_ROOTS", str(tmp_path))
    return tmp_path / "server.toml"


class TestExportSettings:
    def test_every_reconfigurable_key_can_be_set_in_the_toml_file(self, config_file: Path) -> None:
        """What SIGHUP re-reads covers endpoint, protocol, headers, ratio, interval and resource."""
        config_file.write_text(TOML)
        settings = load_settings(config_file)
        export = export_config(settings)
        assert (export.endpoint, export.protocol, export.sampler_ratio, export.export_interval_ms) == (
            "http://127.0.0.1:4317",
            "grpc",
            0.25,
            500,
        )
        assert export.headers == {"authorization": "Bearer toml-secret-value"}
        assert export.resource_attributes == {"deployment.environment": "staging"}
        assert "toml-secret-value" not in json.dumps(settings.summary())

    def test_unset_keys_leave_the_standard_otel_variables_in_charge(self, config_file: Path) -> None:
        """None for headers, ratio and interval: the SDK reads OTEL_EXPORTER_OTLP_HEADERS and friends."""
        config_file.write_text("")
        export = export_config(load_settings(config_file))
        assert (export.headers, export.sampler_ratio, export.export_interval_ms) == (None, None, None)

    def test_headers_come_from_the_environment_as_json(self, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """MCP_SERVER_OTLP_HEADERS is a JSON object."""
        monkeypatch.setenv("MCP_SERVER_OTLP_HEADERS", '{"X-Tenant": "blue"}')
        assert export_config(load_settings()).headers == {"x-tenant": "blue"}

    @pytest.mark.parametrize(
        ("toml", "setting"),
        [
            ('[otlp_headers]\n"x-a" = "line\\nbreak"\n', "MCP_SERVER_OTLP_HEADERS"),
            ("sampler_ratio = 1.5\n", "MCP_SERVER_SAMPLER_RATIO"),
            ("export_interval_ms = 10\n", "MCP_SERVER_EXPORT_INTERVAL_MS"),
            ('otlp_endpoint = "ftp://x"\n', "OTEL_EXPORTER_OTLP_ENDPOINT"),
            ('otlp_protocol = "grpc"\notlp_endpoint = "http://x:4317/v1"\n', "gRPC endpoint"),
        ],
    )
    def test_an_invalid_value_is_refused_with_one_line_naming_the_setting(
        self, config_file: Path, toml: str, setting: str
    ) -> None:
        """Start-up (and a SIGHUP reload) refuses the file and names what to fix."""
        config_file.write_text(toml)
        with pytest.raises(ValidationError) as info:
            load_settings(config_file)
        assert setting in describe_settings_error(info.value)
