"""The error taxonomy of SPEC section 7, and its one mapping to results, spans, metrics, logs.

```
ToolServerError (fastmcp ToolError)        type
├── InvalidArgumentsError                  invalid_arguments
├── BlockedCommandError                    blocked_command
├── PathOutsideRootsError                  path_outside_roots
├── NotFoundError                          not_found
├── AlreadyExistsError                     already_exists
├── PermissionDeniedError                  permission_denied
├── CommandTimeoutError                    timeout
├── ResourceLimitError                     resource_limit
├── TooManyProcessesError                  too_many_processes
├── ProcessNotFoundError                   process_not_found
├── BinaryFileError                        binary_file
├── UnauthorizedError                      unauthorized
└── InternalError                          internal_error
```

The base class derives from FastMCP's `ToolError` so that FastMCP treats it as a tool-visible
error: it passes through `mask_error_details` untouched and is logged at DEBUG, not with a
traceback. Anything else raised in a tool becomes `InternalError` (see `error_type_of`).
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from fastmcp.exceptions import ToolError
from fastmcp.exceptions import ValidationError as FastMCPValidationError
from pydantic import ValidationError as PydanticValidationError

ERROR_TYPES: frozenset[str] = frozenset(
    {
        "invalid_arguments",
        "blocked_command",
        "path_outside_roots",
        "not_found",
        "already_exists",
        "permission_denied",
        "timeout",
        "resource_limit",
        "too_many_processes",
        "process_not_found",
        "binary_file",
        "unauthorized",
        "internal_error",
    }
)


class ToolServerError(ToolError):
    """Base of every error a tool reports; `type` is the SPEC section 7 string."""

    type: ClassVar[str] = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, log_level=logging.DEBUG)
        self.message = message
        self.details = details

    def envelope(self) -> dict[str, Any]:
        """The SPEC section 7 error envelope for this error."""
        body: dict[str, Any] = {"status": "error", "error": self.message, "type": self.type}
        if self.details:
            body["details"] = self.details
        return body


class InvalidArgumentsError(ToolServerError):
    """An argument is missing, of the wrong type or out of bounds."""

    type = "invalid_arguments"


class BlockedCommandError(ToolServerError):
    """The command policy refuses the command."""

    type = "blocked_command"


class PathOutsideRootsError(ToolServerError):
    """A path resolves outside the allowed roots (or cannot be resolved safely)."""

    type = "path_outside_roots"


class NotFoundError(ToolServerError):
    """A file, directory or key does not exist."""

    type = "not_found"


class AlreadyExistsError(ToolServerError):
    """The target exists and the call asked not to overwrite it."""

    type = "already_exists"


class PermissionDeniedError(ToolServerError):
    """The operating system or a policy denies the operation."""

    type = "permission_denied"


class CommandTimeoutError(ToolServerError):
    """The operation ran past its time limit (named so as not to shadow `TimeoutError`)."""

    type = "timeout"


class ResourceLimitError(ToolServerError):
    """A size, memory, CPU or output limit was hit."""

    type = "resource_limit"


class TooManyProcessesError(ToolServerError):
    """`MCP_SERVER_MAX_PROCESSES` managed processes are already running."""

    type = "too_many_processes"


class ProcessNotFoundError(ToolServerError):
    """No process with that id was started by this server."""

    type = "process_not_found"


class BinaryFileError(ToolServerError):
    """The file is binary and the call did not ask for base64."""

    type = "binary_file"


class UnauthorizedError(ToolServerError):
    """The caller lacks the token the operation needs."""

    type = "unauthorized"


class InternalError(ToolServerError):
    """Something unexpected failed; the message carries the trace id, never a stack trace."""

    type = "internal_error"


def error_type_of(exc: BaseException) -> str:
    """Map any exception raised under a tool call to its SPEC section 7 type.

    Args:
        exc: what came out of the tool call.

    Returns:
        One of `ERROR_TYPES`; argument validation failures are `invalid_arguments`,
        anything unknown is `internal_error`.
    """
    if isinstance(exc, ToolServerError):
        return exc.type
    if isinstance(exc, FastMCPValidationError | PydanticValidationError):
        return "invalid_arguments"
    return "internal_error"


def _validation_message(exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc.__cause__, PydanticValidationError) else exc
    if isinstance(cause, PydanticValidationError):
        problems = []
        for error in cause.errors(include_url=False, include_input=False)[:5]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "call") or "arguments"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return "invalid arguments: " + "; ".join(problems)
    return "invalid arguments: " + str(exc).splitlines()[0][:300]


def envelope_for(exc: BaseException, trace_id: str | None = None) -> dict[str, Any]:
    """Build the error envelope the client sees for an exception.

    Args:
        exc: the exception raised under the tool call.
        trace_id: hex trace id of the call, put into `internal_error` messages so an
            operator can find the stack trace in the trace backend or the log.

    Returns:
        `{"status": "error", "error": ..., "type": ...}`; never contains a stack trace.
    """
    if isinstance(exc, ToolServerError) and not isinstance(exc, InternalError):
        return exc.envelope()
    error_type = error_type_of(exc)
    if error_type == "invalid_arguments":
        return {"status": "error", "error": _validation_message(exc), "type": error_type}
    where = f" (trace id {trace_id})" if trace_id else ""
    message = f"internal error{where}; the server logged the details and keeps serving"
    return {"status": "error", "error": message, "type": "internal_error"}


def envelope_text(envelope: dict[str, Any]) -> str:
    """The envelope as the JSON text content block of an `isError` result."""
    return json.dumps(envelope, ensure_ascii=False, default=str)
