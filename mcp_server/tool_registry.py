"""Registering tools: the success envelope, span activation, annotations, groups and plugins.

Every tool, ours or a plugin's, goes through `ToolRegistry.add`, so all of them get the same
envelope (`{"status": "success", "result": ...}`), the same output schema shape, the same
middleware and telemetry, and the same mapping of unexpected exceptions to `internal_error`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from typing import Any, Generic, Literal, TypeVar, get_type_hints

from fastmcp import FastMCP
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from mcp_server.errors import InternalError, ToolServerError
from observability import activate_tool_span, current_trace_id, get_logger

PLUGIN_ENTRY_POINT_GROUP = "mcp_observatory.tools"
T = TypeVar("T")
ToolFunction = Callable[..., Awaitable[Any]]
_log = get_logger(__name__)


class SuccessEnvelope(BaseModel, Generic[T]):
    """What every successful tool call returns (SPEC section 7)."""

    status: Literal["success"] = "success"
    result: T


def _envelope_signature(fn: ToolFunction) -> inspect.Signature:
    signature = inspect.signature(fn)
    hints = get_type_hints(fn, include_extras=True)
    result_type = hints.get("return", Any)
    parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    return signature.replace(parameters=parameters, return_annotation=SuccessEnvelope[result_type])


def enveloped(fn: ToolFunction) -> ToolFunction:
    """Wrap an async tool function: run it under its span, envelope its result, map surprises.

    Raises:
        ToolServerError: as raised by the tool.
        InternalError: for any other exception (the original is its `__context__`).
    """
    if not inspect.iscoroutinefunction(fn):
        msg = f"tool {fn.__name__} must be `async def` (blocking work goes to a worker thread)"
        raise TypeError(msg)

    signature = _envelope_signature(fn)
    envelope_type = signature.return_annotation

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> SuccessEnvelope[Any]:
        with activate_tool_span():
            try:
                result = await fn(*args, **kwargs)
            except ToolServerError:
                raise
            # Any other exception is a bug or an unforeseen condition: internal_error.
            # `from None` keeps the original (message, stack) out of FastMCP's SERVER span;
            # the telemetry middleware finds it as `__context__` and records it redacted.
            except Exception:
                msg = f"internal error (trace id {current_trace_id()})"
                raise InternalError(msg) from None
        # The tool's own return type already describes `result`; skip re-validating it.
        return envelope_type.model_construct(status="success", result=result)

    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**fn.__annotations__, "return": envelope_type}
    return wrapper


class ToolRegistry:
    """Adds tools to a FastMCP server by group, and remembers which names exist.

    Args:
        mcp: the server.
        enabled_groups: built-in groups whose tools are registered; the tools of other
            built-in groups are skipped. Plugin groups (names not in `builtin_groups`) are
            always registered: installing the plugin is the operator's opt-in.
        builtin_groups: the product's own groups (SPEC section 6).
    """

    def __init__(self, mcp: FastMCP, enabled_groups: list[str], builtin_groups: tuple[str, ...]) -> None:
        self.mcp = mcp
        self.enabled_groups = frozenset(enabled_groups)
        self.builtin_groups = frozenset(builtin_groups)
        self.names: dict[str, str] = {}

    def is_known(self, name: str) -> bool:
        """Whether `name` is a registered tool (unknown names get no metrics)."""
        return name in self.names

    def add(
        self,
        fn: ToolFunction,
        *,
        group: str,
        read_only: bool,
        destructive: bool = False,
        idempotent: bool = False,
        open_world: bool = False,
        title: str | None = None,
        name: str | None = None,
    ) -> bool:
        """Register one async tool function; its docstring is what the model reads.

        Args:
            fn: `async def` with typed parameters (Annotated + Field for bounds).
            group: tool group (`commands`, `files`, ... or a plugin's own).
            read_only: MCP `readOnlyHint`.
            destructive: MCP `destructiveHint` (only meaningful when not read-only).
            idempotent: MCP `idempotentHint`.
            open_world: MCP `openWorldHint` (reaches outside the server's roots or machine).
            title: human title; defaults to the name.
            name: tool name; defaults to the function name.

        Returns:
            True when registered, False when the group is disabled.
        """
        tool_name = name or fn.__name__
        if group in self.builtin_groups and group not in self.enabled_groups:
            return False
        if tool_name in self.names:
            msg = f"tool {tool_name!r} is registered twice (groups {self.names[tool_name]!r} and {group!r})"
            raise ValueError(msg)
        annotations = ToolAnnotations(
            title=title or tool_name.replace("_", " "),
            read_only_hint=read_only,
            destructive_hint=destructive and not read_only,
            idempotent_hint=idempotent,
            open_world_hint=open_world,
        )
        self.mcp.tool(enveloped(fn), name=tool_name, annotations=annotations, tags={group})
        self.names[tool_name] = group
        return True

    def load_plugins(self, services: Any) -> list[str]:
        """Load third-party tool groups from the `mcp_observatory.tools` entry points.

        Each entry point names a callable `register(registry, services)` that calls
        `registry.add(...)` with its own group name.

        Returns:
            Names of the plugins loaded.
        """
        loaded = []
        for entry_point in entry_points(group=PLUGIN_ENTRY_POINT_GROUP):
            try:
                register = entry_point.load()
                register(self, services)
            # A broken plugin must not stop the server; it is logged and skipped.
            except Exception as exc:  # noqa: BLE001
                _log.error("plugin_load_failed", plugin=entry_point.name, error=f"{type(exc).__name__}: {exc}")
                continue
            loaded.append(entry_point.name)
            _log.info("plugin_loaded", plugin=entry_point.name)
        return loaded
