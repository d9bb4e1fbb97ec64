"""The one path for changing telemetry while serving (SPEC 9.7): parse, validate whole, merge, apply.

The HTTP admin endpoint, the `configure_telemetry` tool and SIGHUP all come through here, so
they accept the same keys, refuse the same mistakes with the same message, and log the same
`telemetry_reconfigured` event. An update is a JSON object; every key is optional (a partial
update) and keys not given keep their current value:

| key                   | value                                                              |
|-----------------------|--------------------------------------------------------------------|
| `endpoint`            | base URL (`http://127.0.0.1:4318`), or null: OTLP off, embedded default |
| `protocol`            | `grpc` or `http/protobuf`                                          |
| `headers`             | object, header name -> value; replaces the previous headers        |
| `sampler_ratio`       | number in 0..1                                                     |
| `export_interval_ms`  | integer, 100 .. 3 600 000                                          |
| `resource_attributes` | object, name -> string, number or bool; replaces the previous ones |

Validation comes first and covers the whole merged result (a gRPC endpoint with a path is
caught even when only `protocol` changed); every problem goes into one message, and on any
problem nothing changes. Merging runs under the runtime's reconfiguration lock, so two
partial updates at once compose instead of one undoing the other. Setting `endpoint` also
clears per-signal endpoints from `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT`: whoever
names the destination means it for both signals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from observability._config import PROTOCOLS, ExportConfig, ResourceValue
from observability._logging import get_logger
from observability._telemetry import Telemetry, describe_export

UPDATE_KEYS: tuple[str, ...] = (
    "endpoint",
    "protocol",
    "headers",
    "sampler_ratio",
    "export_interval_ms",
    "resource_attributes",
)
MIN_EXPORT_INTERVAL_MS = 100
MAX_EXPORT_INTERVAL_MS = 3_600_000
MAX_URL_CHARS = 2048
MAX_HEADERS = 32
MAX_HEADER_VALUE_CHARS = 4096
MAX_RESOURCE_ATTRIBUTES = 64
MAX_ATTRIBUTE_CHARS = 1024

# RFC 9110 `token`: what an HTTP header name may be. gRPC metadata keys are the same, lower case.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}")
# Printable ASCII and space: no CR/LF (header injection), and what gRPC accepts in metadata.
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
# Set by the exporters themselves; overriding them breaks the OTLP request.
_RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "content-encoding", "transfer-encoding", "host", "connection", "te"}
)
_log = get_logger("observability.reconfigure")


class ReconfigurationError(ValueError):
    """A telemetry change was refused; nothing changed. The message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid telemetry configuration: " + "; ".join(problems) + ". Nothing was changed.")


def validate_endpoint(value: object) -> str:
    """Check an OTLP endpoint URL and return it.

    Raises:
        ValueError: not an absolute http(s) URL with a host, or it carries credentials, a
            query or a fragment (credentials belong in headers).
    """
    if not isinstance(value, str):
        msg = "must be a URL string such as http://127.0.0.1:4318, or null"
        raise ValueError(msg)
    if len(value) > MAX_URL_CHARS or any(char.isspace() or not char.isprintable() for char in value):
        msg = f"must be a URL of at most {MAX_URL_CHARS} characters without spaces or control characters"
        raise ValueError(msg)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = "must be an http:// or https:// URL with a host, such as http://127.0.0.1:4318"
        raise ValueError(msg)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        msg = "has an invalid port (1-65535)"
        raise ValueError(msg) from None
    if parts.username is not None or parts.password is not None:
        msg = "must not carry credentials; send them as headers (e.g. authorization)"
        raise ValueError(msg)
    if parts.query or parts.fragment:
        msg = "must not have a query or fragment"
        raise ValueError(msg)
    return value


def _bounded_object(value: object, limit: int, shape: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        msg = f"must be an object of {shape}"
        raise ValueError(msg)
    if len(value) > limit:
        msg = f"must have at most {limit} entries"
        raise ValueError(msg)
    return value


def _header_problem(name: object, value: object) -> str | None:
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        return f"{str(name)[:40]!r} is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)"
    lowered = name.lower()
    if lowered in _RESERVED_HEADERS or lowered.startswith("grpc-"):
        return f"{name!r} is set by the exporter and cannot be overridden"
    # Never echo the value: headers carry credentials.
    if not isinstance(value, str):
        return f"the value of {name!r} must be a string"
    if len(value) > MAX_HEADER_VALUE_CHARS or not _HEADER_VALUE.fullmatch(value):
        return f"the value of {name!r} must be printable ASCII without line breaks, at most {MAX_HEADER_VALUE_CHARS} chars"
    return None


def validate_headers(value: object) -> dict[str, str]:
    """Check OTLP export headers; names come back lower-cased (gRPC requires it).

    Raises:
        ValueError: not an object of string names and values, or a name or value that is
            not a valid header (control characters, line breaks, reserved names).
    """
    value = _bounded_object(value, MAX_HEADERS, "header name -> value")
    problems = [problem for name, item in value.items() if (problem := _header_problem(name, item))]
    lowered = [str(name).lower() for name in value]
    if len(set(lowered)) != len(lowered):
        problems.append("a header name is given twice (names are case-insensitive)")
    if problems:
        raise ValueError("; ".join(problems))
    return {str(name).lower(): str(item) for name, item in value.items()}


def validate_resource_attributes(value: object) -> dict[str, ResourceValue]:
    """Check resource attributes: an object of names to strings, numbers or booleans.

    Raises:
        ValueError: not such an object, or too many or too long entries.
    """
    value = _bounded_object(value, MAX_RESOURCE_ATTRIBUTES, "attribute name -> string, number or boolean")
    for name, item in value.items():
        if not isinstance(name, str) or not name or len(name) > 255:
            msg = f"attribute name {str(name)[:40]!r} must be a non-empty string of at most 255 chars"
            raise ValueError(msg)
        if not isinstance(item, (str, bool, int, float)) or (isinstance(item, float) and not math.isfinite(item)):
            msg = f"the value of {name!r} must be a string, a finite number or a boolean"
            raise ValueError(msg)
        if isinstance(item, str) and len(item) > MAX_ATTRIBUTE_CHARS:
            msg = f"the value of {name!r} is longer than {MAX_ATTRIBUTE_CHARS} characters"
            raise ValueError(msg)
    return dict(value)


def _validate_protocol(value: object) -> str:
    if value not in PROTOCOLS:
        msg = f"must be one of {', '.join(PROTOCOLS)}"
        raise ValueError(msg)
    return str(value)


def _validate_ratio(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        msg = "must be a number from 0 to 1 (the fraction of new traces recorded)"
        raise ValueError(msg)
    return float(value)


def _validate_interval(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = "must be an integer number of milliseconds"
        raise ValueError(msg)
    if not MIN_EXPORT_INTERVAL_MS <= value <= MAX_EXPORT_INTERVAL_MS:
        msg = f"must be from {MIN_EXPORT_INTERVAL_MS} to {MAX_EXPORT_INTERVAL_MS} ms"
        raise ValueError(msg)
    return value


def _endpoint_or_none(value: object) -> str | None:
    return None if value is None else validate_endpoint(value)


_FIELD_VALIDATORS: dict[str, Callable[[object], Any]] = {
    "endpoint": _endpoint_or_none,
    "protocol": _validate_protocol,
    "headers": validate_headers,
    "sampler_ratio": _validate_ratio,
    "export_interval_ms": _validate_interval,
    "resource_attributes": validate_resource_attributes,
}


def parse_update(update: object) -> dict[str, Any]:
    """Validate a partial update and return its normalised keys.

    Raises:
        ReconfigurationError: not an object, unknown keys, or invalid values (all listed).
    """
    if not isinstance(update, Mapping):
        raise ReconfigurationError([f"the update must be a JSON object with any of the keys {', '.join(UPDATE_KEYS)}"])
    problems = []
    unknown = sorted(str(key)[:40] for key in update if key not in _FIELD_VALIDATORS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(UPDATE_KEYS)}")
    parsed: dict[str, Any] = {}
    for key, validate in _FIELD_VALIDATORS.items():
        if key in update:
            try:
                parsed[key] = validate(update[key])
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
    if problems:
        raise ReconfigurationError(problems)
    return parsed


def export_problems(config: ExportConfig) -> list[str]:
    """Every problem of a complete export configuration (empty when it can be applied)."""
    problems = []
    for key, url in (
        ("endpoint", config.endpoint),
        ("traces_endpoint", config.traces_endpoint),
        ("metrics_endpoint", config.metrics_endpoint),
    ):
        if url is None:
            continue
        try:
            validate_endpoint(url)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
            continue
        if config.protocol == "grpc" and urlsplit(url).path not in ("", "/"):
            problems.append(f"{key}: a gRPC endpoint is scheme, host and port only (no path)")
    checks: list[tuple[str, object, Callable[[object], Any]]] = [
        ("protocol", config.protocol, _validate_protocol),
        ("resource_attributes", config.resource_attributes, validate_resource_attributes),
    ]
    checks += [
        (key, value, _FIELD_VALIDATORS[key])
        for key, value in (
            ("headers", config.headers),
            ("sampler_ratio", config.sampler_ratio),
            ("export_interval_ms", config.export_interval_ms),
        )
        if value is not None
    ]
    for key, value, validate in checks:
        try:
            validate(value)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    return problems


def merge_update(current: ExportConfig, update: Mapping[str, Any]) -> ExportConfig:
    """The configuration after a (validated) partial update."""
    changes = dict(update)
    if "endpoint" in changes:
        changes.update(traces_endpoint=None, metrics_endpoint=None)
    return replace(current, **changes)


def _checked(config: ExportConfig) -> ExportConfig:
    problems = export_problems(config)
    if problems:
        raise ReconfigurationError(problems)
    return config


def _apply(telemetry: Telemetry, derive: Callable[[ExportConfig], ExportConfig], source: str) -> dict[str, Any]:
    try:
        old, new = telemetry.reconfigure(derive, source)
    except ReconfigurationError as exc:
        _log.warning("telemetry_reconfiguration_refused", source=source, problems=list(exc.problems))
        raise
    return {"changed": new != old, "previous": describe_export(old), "telemetry": telemetry.status()}


def apply_telemetry_update(telemetry: Telemetry, update: object, source: str) -> dict[str, Any]:
    """Validate a partial update (the SPEC 9.7 JSON object), merge it and apply it.

    Returns within milliseconds (the old pipeline drains in the background), but switches
    are serialised: call it from a worker thread when on an event loop.

    Args:
        telemetry: the live runtime.
        update: the decoded JSON object (POST body or tool arguments).
        source: who asked: `http`, `tool` or `signal` (logged).

    Returns:
        `{"changed": bool, "previous": <old config view>, "telemetry": <status>}`.

    Raises:
        ReconfigurationError: the update or the merged result is invalid; nothing changed.
        TelemetryDisabledError: telemetry is off.

    Example:
        ```python
        await anyio.to_thread.run_sync(
            apply_telemetry_update, telemetry, {"endpoint": "http://collector:4318"}, "http"
        )
        ```
    """
    return _apply(telemetry, lambda current: _checked(merge_update(current, parse_update(update))), source)


def apply_export_config(telemetry: Telemetry, export: ExportConfig, source: str) -> dict[str, Any]:
    """Validate a complete export configuration and apply it (SIGHUP re-reading the settings).

    Returns and raises as `apply_telemetry_update`.
    """
    return _apply(telemetry, lambda _current: _checked(export), source)
