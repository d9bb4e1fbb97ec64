"""Validation and merging of telemetry updates (SPEC 9.7), and per-generation exporter health."""

from __future__ import annotations

from typing import Any

import pytest

from observability import ExportConfig, TelemetryConfig, TelemetryDisabledError, apply_telemetry_update
from observability._health import ExporterHealth
from observability._metrics import resolve_export_interval_ms
from observability._reconfigure import ReconfigurationError, export_problems, merge_update, parse_update
from observability.testing import setup_for_tests


def _refusal(update: Any) -> ReconfigurationError:
    with pytest.raises(ReconfigurationError) as info:
        parse_update(update)
    return info.value


class TestParseUpdate:
    def test_every_key_is_optional_and_values_come_back_normalised(self) -> None:
        """An empty update is valid; header names are lower-cased; endpoint null is kept as None."""
        assert parse_update({}) == {}
        assert parse_update({"endpoint": None}) == {"endpoint": None}
        assert parse_update({"headers": {"X-Api-Key": "v1"}, "sampler_ratio": 1}) == {
            "headers": {"x-api-key": "v1"},
            "sampler_ratio": 1.0,
        }
        assert parse_update({"endpoint": "https://otel.example.com:4318/otlp"})["endpoint"].endswith("/otlp")

    @pytest.mark.parametrize(
        ("update", "key"),
        [
            ({"endpoint": "ftp://collector:4318"}, "endpoint"),
            ({"endpoint": "http://"}, "endpoint"),
            ({"endpoint": "http://host:70000"}, "endpoint"),
            ({"endpoint": "http://u:p@host:4318"}, "endpoint"),
            ({"endpoint": "http://host:4318/?a=1"}, "endpoint"),
            ({"endpoint": "http://host:4318/\n"}, "endpoint"),
            ({"endpoint": 4318}, "endpoint"),
            ({"protocol": "http/json"}, "protocol"),
            ({"headers": "authorization=x"}, "headers"),
            ({"headers": {"x-a": 1}}, "headers"),
            ({"headers": {"": "v"}}, "headers"),
            ({"headers": {"x:y": "v"}}, "headers"),
            ({"headers": {"content-type": "text/plain"}}, "headers"),
            ({"headers": {"X-A": "1", "x-a": "2"}}, "headers"),
            ({"headers": {"x-a": "é"}}, "headers"),
            ({"sampler_ratio": -0.01}, "sampler_ratio"),
            ({"sampler_ratio": True}, "sampler_ratio"),
            ({"sampler_ratio": "0.5"}, "sampler_ratio"),
            ({"export_interval_ms": 99}, "export_interval_ms"),
            ({"export_interval_ms": 3_600_001}, "export_interval_ms"),
            ({"export_interval_ms": 250.5}, "export_interval_ms"),
            ({"resource_attributes": {"k": [1]}}, "resource_attributes"),
            ({"resource_attributes": {"k": float("nan")}}, "resource_attributes"),
            ({"endpoint": None, "sampling": 0.5}, "unknown key"),
        ],
    )
    def test_a_bad_value_is_refused_with_a_message_naming_its_key(self, update: dict[str, Any], key: str) -> None:
        """Each malformed value is refused and the message says which key and that nothing changed."""
        message = str(_refusal(update))
        assert key in message and "Nothing was changed" in message

    @pytest.mark.parametrize("update", [None, [], "endpoint=http://x", 42])
    def test_an_update_that_is_not_an_object_is_refused(self, update: Any) -> None:
        """The body must be a JSON object; the message lists the keys it may have."""
        assert "sampler_ratio" in str(_refusal(update))

    def test_every_problem_is_reported_at_once(self) -> None:
        """Three problems in one update give three entries in one refusal."""
        refusal = _refusal({"endpoint": "ftp://x", "sampler_ratio": 3, "bogus": 1})
        assert len(refusal.problems) == 3

    def test_header_values_never_appear_in_a_refusal(self) -> None:
        """A credential with a line break is refused without echoing it."""
        message = str(_refusal({"headers": {"authorization": "Bearer hunter2-secret\r\nx-b: 1"}}))
        assert "authorization" in message and "hunter2" not in message


class TestMergeAndWholeConfig:
    def test_keys_not_given_keep_their_value(self) -> None:
        """A partial update changes only what it names."""
        current = ExportConfig(endpoint="http://a:4318", headers={"x": "1"}, sampler_ratio=0.5)
        merged = merge_update(current, parse_update({"sampler_ratio": 0.25}))
        assert (merged.endpoint, merged.headers, merged.sampler_ratio) == ("http://a:4318", {"x": "1"}, 0.25)

    def test_setting_the_endpoint_clears_per_signal_endpoints(self) -> None:
        """`endpoint` (null included) names the destination of both signals."""
        current = ExportConfig(traces_endpoint="http://t:4318/v1/traces", metrics_endpoint="http://m:4318/v1/metrics")
        merged = merge_update(current, parse_update({"endpoint": None}))
        assert not merged.otlp_enabled

    def test_a_grpc_endpoint_with_a_path_is_refused_even_when_only_the_protocol_changes(self) -> None:
        """The merged result is checked whole: a path that HTTP accepted is wrong for gRPC."""
        current = ExportConfig(endpoint="http://collector:4318/otlp")
        assert export_problems(current) == []
        problems = export_problems(merge_update(current, parse_update({"protocol": "grpc"})))
        assert problems == ["endpoint: a gRPC endpoint is scheme, host and port only (no path)"]


class TestExporterHealthGenerations:
    def test_the_old_endpoints_outcomes_count_in_totals_but_not_in_the_current_state(self) -> None:
        """A failed final flush to the old endpoint leaves the new one's consecutive failures at 0."""
        health = ExporterHealth("traces")
        old = health.retarget("otlp A")
        health.record_success(4, old)
        new = health.retarget("otlp B")
        health.record_failure(5, "connection refused", old, "otlp A")
        snapshot = health.snapshot()
        assert snapshot["consecutive_failures"] == 0 and snapshot["last_error"] is None
        assert (snapshot["failures_total"], snapshot["dropped_items"], snapshot["exported_items"]) == (1, 5, 4)
        assert snapshot["last_success_unix"] is None, "no success at B yet"
        health.record_failure(2, "timeout", new, "otlp B")
        assert health.snapshot()["consecutive_failures"] == 1
        health.record_success(3, new)
        assert health.snapshot()["consecutive_failures"] == 0 and health.snapshot()["last_success_unix"]


class TestPushInterval:
    def test_an_unset_interval_reads_otel_metric_export_interval(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """None means the standard variable, as in the SDK; a bad value falls back to 60 s."""
        assert resolve_export_interval_ms(250) == 250
        assert resolve_export_interval_ms(None) == 60_000
        monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "1500")
        assert resolve_export_interval_ms(None) == 1500
        monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "soon")
        assert resolve_export_interval_ms(None) == 60_000


class TestDisabledTelemetry:
    def test_a_change_to_disabled_telemetry_is_refused_with_the_reason(self) -> None:
        """With telemetry off there is nothing to re-point; the message says how to fix it."""
        telemetry, _ = setup_for_tests(TelemetryConfig(enabled=False))
        with pytest.raises(TelemetryDisabledError, match="restart with it on"):
            apply_telemetry_update(telemetry, {"sampler_ratio": 0.5}, "tool")
