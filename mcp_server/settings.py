"""The one settings object: environment, then an optional TOML file, then CLI flags.

Precedence, highest first: CLI flags (passed as init arguments), the TOML file given with
`--config`, `MCP_SERVER_*` environment variables, defaults. That is the order SPEC section 4
lists, and it lets SIGHUP re-read a file whose values are not shadowed by the environment.
The standard `OTEL_*` variables the app itself decides on are read through
`validation_alias`; the rest (`OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_HEADERS`, ...) are left to the
OpenTelemetry SDK, which warns and uses its default on a bad value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from observability import (
    MAX_EXPORT_INTERVAL_MS,
    MIN_EXPORT_INTERVAL_MS,
    validate_endpoint,
    validate_headers,
    validate_resource_attributes,
)

TOOL_GROUPS: tuple[str, ...] = ("commands", "files", "dev", "utility", "observability", "admin")
_DEFAULT_TOOL_GROUPS = ("commands", "files", "dev", "utility", "observability")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mcp-observatory"


def _split_names(value: Any) -> Any:
    """Comma-separated names from the environment or TOML; lists pass through."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _split_paths(value: Any) -> Any:
    """os.pathsep-separated paths from the environment; lists pass through."""
    if isinstance(value, str):
        return [part for part in value.split(os.pathsep) if part]
    return value


class Settings(BaseSettings):
    """Every setting of the server; see README "Settings" (generated from these fields)."""

    model_config = SettingsConfigDict(
        env_prefix="MCP_SERVER_",
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        case_sensitive=False,
    )

    config_file: Path | None = Field(
        default=None,
        exclude=True,
        description="TOML file with settings (CLI `--config`); re-read on SIGHUP.",
    )
    transport: Literal["stdio", "http"] = Field(
        default="stdio", description="MCP transport: `stdio` for desktop clients, `http` for streamable HTTP."
    )
    host: str = Field(default="127.0.0.1", description="HTTP bind address. Non-loopback needs an auth token.")
    port: int = Field(default=8000, ge=0, le=65535, description="HTTP port (0 picks a free one).")
    allowed_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path.cwd()],
        description="Directories the file and command tools may touch (os.pathsep-separated).",
    )
    execution: Literal["direct", "sandbox", "auto"] = Field(
        default="auto", description="How commands run: `direct`, `sandbox` (bubblewrap) or `auto`."
    )
    sandbox_network: bool = Field(default=False, description="Give sandboxed commands network access.")
    default_blocklist: bool = Field(
        default=True, description="Start from the built-in command blocklist (false: start empty)."
    )
    blocked_commands: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Extra command names to refuse (comma-separated)."
    )
    allowed_commands: Annotated[list[str], NoDecode] | None = Field(
        default=None, description="When set, only these command names may run (allowlist mode)."
    )
    command_timeout_s: float = Field(
        default=30.0, gt=0, le=3600, description="Default and maximum command run time in seconds."
    )
    max_output_bytes: int = Field(
        default=65_536,
        ge=1024,
        le=64 * 1_048_576,
        description=(
            "Command output kept per stream (head + tail) and per background process. A result "
            "carries both streams twice (text and structured content) and JSON escapes grow it; "
            "MCP clients refuse SSE events over 1 MiB, so raise this only for clients that accept more."
        ),
    )
    max_processes: int = Field(default=16, ge=1, le=1024, description="Concurrent managed processes.")
    memory_limit_mb: int = Field(
        default=1024, ge=16, le=1_048_576, description="Address-space limit for each child process (MiB)."
    )
    auth_token: SecretStr | None = Field(default=None, description="Bearer token required on HTTP endpoints.")
    admin_token: SecretStr | None = Field(
        default=None, description="Bearer token for `/admin/*`; without it the admin endpoints do not exist."
    )
    metrics_public: bool = Field(default=False, description="Serve `/metrics` without the auth token.")
    allowed_origins: Annotated[list[str], NoDecode] | None = Field(
        default=None,
        description="Browser origins allowed on HTTP (comma-separated, `*` globs); others get 403.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] | None = Field(
        default=None, description="Extra Host header values accepted on HTTP (comma-separated)."
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir, description="Where the context store and traces file live."
    )
    record_arguments: Literal["off", "redacted"] = Field(
        default="redacted", description="Record tool arguments on spans (redacted and truncated) or not."
    )
    traces_file: Path | None = Field(
        default=None, description="OTLP/JSON-lines traces file when no OTLP endpoint is set (default: data dir)."
    )
    traces_file_max_bytes: int = Field(
        default=50 * 1_048_576, ge=4096, description="Size at which the traces file is rotated."
    )
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="Port of the `/metrics` endpoint for the stdio transport."
    )
    telemetry: Literal["on", "off"] = Field(
        default="on", description="`off`: no spans, no metrics (to measure the overhead)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")
    log_format: Literal["json", "console"] = Field(default="json", description="Log rendering on stderr.")
    tools: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(_DEFAULT_TOOL_GROUPS),
        description="Enabled tool groups (comma-separated): " + ", ".join(TOOL_GROUPS) + ".",
    )
    system_info_ttl_s: float = Field(default=30.0, ge=0, description="Cache lifetime of `system_info`.")
    context_max_value_bytes: int = Field(
        default=65_536, ge=16, description="Largest JSON value one context key may hold."
    )
    context_max_keys: int = Field(default=10_000, ge=1, description="Most keys the context store holds.")
    shutdown_grace_s: float = Field(
        default=10.0, ge=0, description="On SIGTERM, how long in-flight calls may finish."
    )

    # Standard OpenTelemetry variables the server itself decides on (names unchanged).
    otel_sdk_disabled: bool = Field(
        default=False, validation_alias="OTEL_SDK_DISABLED", description="OTEL_SDK_DISABLED: turn telemetry off."
    )
    otel_service_name: str = Field(
        default="mcp-observatory", validation_alias="OTEL_SERVICE_NAME", description="OTEL_SERVICE_NAME."
    )
    otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("otlp_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        description="OTLP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); unset: embedded default.",
    )
    otlp_traces_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("otlp_traces_endpoint", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        description="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: full URL for traces, used as given.",
    )
    otlp_metrics_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("otlp_metrics_endpoint", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
        description="OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: full URL for metrics, used as given.",
    )
    otlp_protocol: Literal["grpc", "http/protobuf"] = Field(
        default="http/protobuf",
        validation_alias=AliasChoices("otlp_protocol", "OTEL_EXPORTER_OTLP_PROTOCOL"),
        description="OTEL_EXPORTER_OTLP_PROTOCOL (the spec's default, http/protobuf).",
    )
    # Reconfigurable at runtime (SPEC 9.7); None: the SDK reads the standard OTEL_* variable.
    otlp_headers: dict[str, SecretStr] | None = Field(
        default=None,
        description="OTLP export headers as a JSON object / TOML table (unset: OTEL_EXPORTER_OTLP_HEADERS).",
    )
    sampler_ratio: float | None = Field(
        default=None, ge=0, le=1, description="Fraction of new traces sampled (unset: OTEL_TRACES_SAMPLER/_ARG)."
    )
    export_interval_ms: int | None = Field(
        default=None,
        ge=MIN_EXPORT_INTERVAL_MS,
        le=MAX_EXPORT_INTERVAL_MS,
        description="OTLP metric push interval in ms (unset: OTEL_METRIC_EXPORT_INTERVAL, else 60000).",
    )
    resource_attributes: dict[str, str | bool | int | float] = Field(
        default_factory=dict,
        description="Extra resource attributes (JSON object / TOML table), over OTEL_RESOURCE_ATTRIBUTES.",
    )

    @field_validator("blocked_commands", "tools", "allowed_commands", "allowed_origins", "allowed_hosts", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return _split_names(value)

    @field_validator("allowed_roots", mode="before")
    @classmethod
    def _paths(cls, value: Any) -> Any:
        return _split_paths(value)

    @field_validator("tools")
    @classmethod
    def _known_groups(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(TOOL_GROUPS))
        if unknown:
            msg = f"unknown tool group(s) {', '.join(unknown)}; known: {', '.join(TOOL_GROUPS)}"
            raise ValueError(msg)
        return value

    @field_validator("allowed_roots")
    @classmethod
    def _roots_exist(cls, value: list[Path]) -> list[Path]:
        if not value:
            msg = "at least one allowed root is required"
            raise ValueError(msg)
        resolved = []
        for root in value:
            path = Path(root).expanduser()
            if not path.is_dir():
                msg = f"allowed root {str(root)!r} is not an existing directory"
                raise ValueError(msg)
            resolved.append(path.resolve(strict=True))
        return resolved

    @field_validator("otlp_endpoint", "otlp_traces_endpoint", "otlp_metrics_endpoint")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value in (None, "") else validate_endpoint(value)

    @field_validator("otlp_headers", mode="before")
    @classmethod
    def _headers(cls, value: Any) -> Any:
        return value if value is None else validate_headers(value)

    @field_validator("resource_attributes", mode="before")
    @classmethod
    def _resource(cls, value: Any) -> Any:
        return validate_resource_attributes(value)

    @model_validator(mode="after")
    def _safe_bind(self) -> Settings:
        if self.transport == "http" and self.host not in _LOOPBACK_HOSTS and self.auth_token is None:
            msg = (
                f"binding host {self.host!r} (not loopback) needs MCP_SERVER_AUTH_TOKEN; "
                "refusing to serve an unauthenticated network endpoint"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _grpc_endpoint_has_no_path(self) -> Settings:
        urls = (self.otlp_endpoint, self.otlp_traces_endpoint, self.otlp_metrics_endpoint)
        if self.otlp_protocol == "grpc" and any(url and urlsplit(url).path not in ("", "/") for url in urls):
            msg = "OTEL_EXPORTER_OTLP_ENDPOINT: a gRPC endpoint is scheme, host and port only (no path)"
            raise ValueError(msg)
        return self

    @property
    def telemetry_enabled(self) -> bool:
        """Whether spans and metrics are produced at all."""
        return self.telemetry == "on" and not self.otel_sdk_disabled

    @property
    def effective_traces_file(self) -> Path:
        """The embedded-default traces file (SPEC 9.6)."""
        return self.traces_file or self.data_dir / "traces.jsonl"

    def summary(self) -> dict[str, Any]:
        """The effective settings for the start-up log, secrets masked."""
        data = self.model_dump(mode="json")
        for name in ("auth_token", "admin_token"):
            data[name] = "***" if getattr(self, name) is not None else None
        return data

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML path arrives as an init argument; read it ahead of the environment.
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        config_file = init_settings.init_kwargs.get("config_file")  # type: ignore[attr-defined]
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        sources.append(env_settings)
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build Settings from defaults, environment, TOML file and CLI overrides.

    Args:
        config_file: optional TOML file; its keys are the field names (`port = 8000`).
        **overrides: CLI flags; `None` values are ignored so unset flags do not shadow.

    Returns:
        The frozen Settings.

    Raises:
        pydantic.ValidationError: a value is invalid (the CLI prints one line per error).
        FileNotFoundError: the config file does not exist.
    """
    if config_file is not None and not Path(config_file).is_file():
        msg = f"config file {str(config_file)!r} does not exist"
        raise FileNotFoundError(msg)
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(config_file=config_file, **given)
