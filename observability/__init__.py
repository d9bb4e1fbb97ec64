"""Telemetry as a library: tracing, metrics, logs and their runtime reconfiguration for MCP servers.

Nothing outside `__all__` is public. This package never imports `mcp_server`.

Example:
    ```python
    import observability
    telemetry = observability.setup(observability.TelemetryConfig(service_version="1.0"))
    server.add_middleware(observability.TelemetryMiddleware(telemetry, classify=my_classifier))
    ```
"""

from observability._config import PROTOCOLS, ExportConfig, TelemetryConfig
from observability._logging import get_logger
from observability._reconfigure import (
    MAX_EXPORT_INTERVAL_MS,
    MIN_EXPORT_INTERVAL_MS,
    UPDATE_KEYS,
    ReconfigurationError,
    apply_export_config,
    apply_telemetry_update,
    validate_endpoint,
    validate_headers,
    validate_resource_attributes,
)
from observability._redaction import Redactor, is_sensitive_key
from observability._telemetry import Telemetry, TelemetryDisabledError, current, setup, shutdown
from observability._traces_file import spans_to_otlp_json
from observability.middleware import TelemetryMiddleware, activate_tool_span, current_trace_id

__all__ = [
    "MAX_EXPORT_INTERVAL_MS",
    "MIN_EXPORT_INTERVAL_MS",
    "PROTOCOLS",
    "UPDATE_KEYS",
    "ExportConfig",
    "ReconfigurationError",
    "Redactor",
    "Telemetry",
    "TelemetryConfig",
    "TelemetryDisabledError",
    "TelemetryMiddleware",
    "activate_tool_span",
    "apply_export_config",
    "apply_telemetry_update",
    "current",
    "current_trace_id",
    "get_logger",
    "is_sensitive_key",
    "setup",
    "shutdown",
    "spans_to_otlp_json",
    "validate_endpoint",
    "validate_headers",
    "validate_resource_attributes",
]
