"""structlog configuration (SPEC 9.3): JSON (or console) to stderr, with trace and span ids.

Logs go to stderr because with the stdio transport stdout is the MCP channel. Records from
the standard library (FastMCP, uvicorn, the OTel SDK) are rendered by the same processors.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, WrappedLogger

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


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
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
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=cache_loggers,
    )
    handler = logging.StreamHandler(sys.stderr)
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
