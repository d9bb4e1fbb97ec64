"""The error taxonomy maps every failure to one of the SPEC section 7 types, one way."""

from __future__ import annotations

import json

import pytest
from fastmcp.exceptions import ToolError
from pydantic import BaseModel, ValidationError

from mcp_server import errors


class _Model(BaseModel):
    n: int


class TestTaxonomy:
    def test_every_subclass_has_a_spec_type_and_all_types_are_covered(self) -> None:
        """The classes and ERROR_TYPES are the same closed set."""
        subclasses = {cls.type for cls in errors.ToolServerError.__subclasses__()}
        assert subclasses == set(errors.ERROR_TYPES)

    def test_tool_errors_are_fastmcp_tool_errors(self) -> None:
        """So FastMCP passes their message through masking instead of replacing it."""
        assert issubclass(errors.BlockedCommandError, ToolError)

    @pytest.mark.parametrize("cls", errors.ToolServerError.__subclasses__())
    def test_the_envelope_carries_status_message_and_type(self, cls: type[errors.ToolServerError]) -> None:
        """envelope_for(error) is {"status": "error", "error": message, "type": cls.type}."""
        envelope = errors.envelope_for(cls("what to do"), trace_id="ab" * 16)
        assert envelope["status"] == "error"
        assert envelope["type"] == cls.type
        if cls is not errors.InternalError:
            assert envelope["error"] == "what to do"
        json.loads(errors.envelope_text(envelope))

    def test_unknown_exceptions_are_internal_errors_without_details(self) -> None:
        """A RuntimeError becomes internal_error; its message and stack stay out of the result."""
        envelope = errors.envelope_for(RuntimeError("secret detail"), trace_id="0123")
        assert envelope["type"] == "internal_error"
        assert "secret detail" not in envelope["error"]
        assert "0123" in envelope["error"]

    def test_validation_errors_are_invalid_arguments_naming_the_field(self) -> None:
        """A pydantic validation failure says which argument is wrong, without echoing input."""
        with pytest.raises(ValidationError) as caught:
            _Model(n="not-a-number-secret")  # type: ignore[arg-type]
        envelope = errors.envelope_for(caught.value)
        assert envelope["type"] == "invalid_arguments"
        assert "n:" in envelope["error"]
        assert "not-a-number-secret" not in envelope["error"]
