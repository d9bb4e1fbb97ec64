"""Redaction: secrets, env values and payloads never reach a span; long arguments are cut."""

from __future__ import annotations

import json

import pytest

from observability import Redactor


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(
        payload_keys={"content", "stdin"},
        masked_value_keys={"env"},
        secrets=["tok-abcdef123456"],
        max_chars=200,
    )


class TestArguments:
    @pytest.mark.parametrize(
        "key", ["password", "db_password", "secret", "api_key", "apiKey", "token", "auth", "Authorization", "credentials", "cookie", "key"]
    )
    def test_sensitive_keys_are_redacted(self, redactor: Redactor, key: str) -> None:
        """Keys like password/secret/token/key/auth/credential/cookie lose their values."""
        recorded = json.loads(redactor.arguments_json({key: "hunter2", "path": "a.txt"}))
        assert recorded[key] == "[REDACTED]"
        assert recorded["path"] == "a.txt"

    def test_env_values_are_masked_and_names_kept(self, redactor: Redactor) -> None:
        """env keeps variable names, never values."""
        recorded = json.loads(redactor.arguments_json({"env": {"HOME": "/x", "DB": "pw"}}))
        assert recorded["env"] == {"HOME": "[REDACTED]", "DB": "[REDACTED]"}

    def test_payloads_become_byte_counts(self, redactor: Redactor) -> None:
        """File content and stdin become '<N bytes>' (UTF-8 bytes)."""
        recorded = json.loads(redactor.arguments_json({"content": "héllo", "stdin": "x" * 10}))
        assert recorded == {"content": "<6 bytes>", "stdin": "<10 bytes>"}

    def test_nested_secrets_are_found(self, redactor: Redactor) -> None:
        """A password nested in lists and objects is still redacted."""
        text = redactor.arguments_json({"config": [{"inner": {"password": "pw-nested"}}]})
        assert "pw-nested" not in text

    def test_long_arguments_are_truncated(self, redactor: Redactor) -> None:
        """The JSON is cut at max_chars with a marker saying how much went."""
        text = redactor.arguments_json({"command": "echo " + "a" * 5000})
        assert len(text) < 260 and "truncated" in text

    def test_known_secret_values_are_removed_wherever_they_appear(self, redactor: Redactor) -> None:
        """A configured token inside an innocent-looking argument is removed."""
        assert "tok-abcdef123456" not in redactor.arguments_json({"command": "curl -H tok-abcdef123456"})


class TestText:
    @pytest.mark.parametrize(
        ("text", "leak"),
        [
            ("password=hunter2 failed", "hunter2"),
            ("token: abc.def.ghi", "abc.def.ghi"),
            ("Authorization: Bearer eyJhbGciOi.x.y", "eyJhbGciOi"),
            ("connect http://user:pa55@db:5432/x", "pa55"),
            ("1 validation error input_value='my-secret-arg', input_type=str", "my-secret-arg"),
            ("header tok-abcdef123456 sent", "tok-abcdef123456"),
        ],
    )
    def test_credentials_in_free_text_are_removed(self, redactor: Redactor, text: str, leak: str) -> None:
        """Exception messages and stack traces lose key=value credentials and known secrets."""
        assert leak not in redactor.text(text)

    def test_ordinary_text_is_unchanged(self, redactor: Redactor) -> None:
        """Nothing else is touched."""
        assert redactor.text("file not found: a.txt") == "file not found: a.txt"

