"""structlog configuration (SPEC 9.3): JSON (or console) to stderr, with trace and span ids.

Logs go to stderr because with the stdio transport stdout is the MCP channel. Records from
the standard library (FastMCP, uvicorn, the OTel SDK) are rendered by the same processors.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Literal

import orjson
import structlog
from opentelemetry import trace
from structlog.typing import EventDict, WrappedLogger

_RATE_LIMITED_LOGGERS = ("opentelemetry.exporter", "opentelemetry.sdk")
_RATE_LIMIT_S = 30.0
# Loggers of libraries that install their own (rich, stdout-prone) handlers.
_ADOPTED_LOGGERS = ("fastmcp", "mcp", "uvicorn", "uvicorn.error", "uvicorn.access", "opentelemetry", "docket")


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: add `trace_id`/`span_id` of the current span (hex), if any."""
    if "trace_id" in event_dict:
        return event_dict
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


class _RateLimitFilter(logging.Filter):
    """At most one record per `interval_s` from each logger under the given prefixes.

    The OTLP exporters log every failed attempt ("Transient error ... retrying"); with a dead
    collector that is a line every few seconds per signal. SPEC 9.3 wants export failures
    rate-limited; our own `telemetry_export_failed` event carries the counts.
    """

    def __init__(self, prefixes: tuple[str, ...], interval_s: float) -> None:
        super().__init__()
        self._prefixes = prefixes
        self._interval_s = interval_s
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._prefixes):
            return True
        now = time.monotonic()
        if now - self._last.get(record.name, -self._interval_s) < self._interval_s:
            return False
        self._last[record.name] = now
        return True


def _shared_processors() -> list[Any]:
    # No `merge_contextvars`: nothing here binds structlog context variables, and it copies and
    # scans every ContextVar of the request (FastMCP, anyio, OTel: ~5 us a line, measured),
    # on the tool-call hot path. Per-call fields are passed explicitly instead.
    return [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
    ]


def configure_logging(
    level: str = "INFO", fmt: Literal["json", "console"] = "json", cache_loggers: bool = True
) -> None:
    """Configure structlog and the standard library to write one format to stderr.

    Args:
        level: minimum level name (`DEBUG`, `INFO`, ...).
        fmt: `json` (one object per line) or `console` (human-readable, for development).
        cache_loggers: cache bound loggers on first use (fast; tests that capture logs turn
            it off, as structlog's `capture_logs` requires).
    """
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        numeric_level = logging.INFO
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    # structlog's fast path for JSON: orjson to bytes, written to the binary stream (structlog
    # documents it for performance; the per-call event sits on the tool-call hot path).
    binary_stderr = getattr(sys.stderr, "buffer", None)
    fast_json = fmt == "json" and binary_stderr is not None
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps) if fast_json else renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=(
            structlog.BytesLoggerFactory(file=binary_stderr)
            if fast_json
            else structlog.WriteLoggerFactory(file=sys.stderr)
        ),
        cache_logger_on_first_use=cache_loggers,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RateLimitFilter(_RATE_LIMITED_LOGGERS, _RATE_LIMIT_S))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_shared_processors(), structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    for name in _ADOPTED_LOGGERS:
        adopted = logging.getLogger(name)
        adopted.handlers[:] = []
        adopted.propagate = True
    # uvicorn's access log is one line per request: noise next to our per-call event.
    logging.getLogger("uvicorn.access").setLevel(max(numeric_level, logging.WARNING))


def get_logger(name: str | None = None, **initial_values: Any) -> Any:
    """A structlog logger; events are snake_case past-tense facts with key-value fields.

    Example:
        ```python
        log = get_logger(__name__)
        log.info("context_store_opened", path=str(path))
        ```
    """
    return structlog.get_logger(name, **initial_values)
