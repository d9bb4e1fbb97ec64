"""The stack's files pass the real validators: promtool (config, rules, rule unit tests) and compose."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import yaml

from tests.conftest import require_binary
from tests.helpers.stack_files import COMPOSE_FILE, PROMETHEUS_DIR, REPO, alert_rules

_SECRETS = {"MCP_SERVER_AUTH_TOKEN": "test-token", "GRAFANA_ADMIN_PASSWORD": "test-password"}


def _run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _compose_env(**secrets: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in _SECRETS and not k.startswith("COMPOSE_")
    }
    env.update(secrets)
    return env


class TestPromtool:
    def test_prometheus_config_and_its_rule_files_are_valid(self) -> None:
        """`promtool check config` accepts prometheus.yml and the rules it loads."""
        result = _run(
            [require_binary("promtool"), "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")]
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_alert_rules_are_valid(self) -> None:
        """`promtool check rules` accepts alerts.yml and finds every rule."""
        result = _run(
            [require_binary("promtool"), "check", "rules", str(PROMETHEUS_DIR / "alerts.yml")]
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout

    def test_alert_unit_tests_pass(self) -> None:
        """`promtool test rules` passes the unit tests of alerts_test.yml."""
        result = _run(
            [require_binary("promtool"), "test", "rules", str(PROMETHEUS_DIR / "alerts_test.yml")]
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not(self) -> None:
        """Each alert name appears in alerts_test.yml with an expected firing and an expected silence."""
        tests = yaml.safe_load((PROMETHEUS_DIR / "alerts_test.yml").read_text(encoding="utf-8"))[
            "tests"
        ]
        cases = [case for test in tests for case in test.get("alert_rule_test", [])]
        for rule in alert_rules():
            expected = [case["exp_alerts"] for case in cases if case["alertname"] == rule["alert"]]
            assert any(expected), f"{rule['alert']} never expected to fire"
            assert [] in expected, f"{rule['alert']} never expected to stay quiet"


class TestCompose:
    def test_the_compose_file_validates(self) -> None:
        """Debian's docker-compose accepts the file (offline `config -q`) once the secrets are set."""
        binary = require_binary("docker-compose")
        result = _run(
            [binary, "-f", str(COMPOSE_FILE), "config", "-q"], env=_compose_env(**_SECRETS)
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_compose_refuses_to_start_without_the_secrets(self) -> None:
        """Without MCP_SERVER_AUTH_TOKEN the file does not resolve, and says which variable is missing."""
        binary = require_binary("docker-compose")
        result = _run(
            [binary, "-f", str(COMPOSE_FILE), "config", "-q"],
            env=_compose_env(GRAFANA_ADMIN_PASSWORD="test-password"),
        )
        assert result.returncode != 0
        assert "MCP_SERVER_AUTH_TOKEN" in result.stderr

    def test_make_writes_private_random_secrets_that_compose_accepts(self, tmp_path: Path) -> None:
        """`make .env` (run by `make stack`) writes both secrets, mode 600, and compose resolves with them."""
        make = require_binary("make")
        result = _run(
            [make, "-s", "-f", str(REPO / "Makefile"), "-C", str(tmp_path), ".env"],
            env=_compose_env(),
        )
        assert result.returncode == 0, result.stderr
        env_file = tmp_path / ".env"
        values = dict(
            line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines()
        )
        assert set(values) == set(_SECRETS) and all(len(value) >= 24 for value in values.values())
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert values["MCP_SERVER_AUTH_TOKEN"] not in result.stdout + result.stderr
        compose = [
            require_binary("docker-compose"),
            "--env-file",
            str(env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
            "-q",
        ]
        checked = _run(compose, env=_compose_env())
        assert checked.returncode == 0, checked.stderr
