"""Telemetry re-pointed while serving (SPEC 9.7), in-process, against real OTLP receivers.

The receivers are the only fakes (a process boundary: there is no Collector here); the
exporters, batch processor, metric reader and MCP clients are the real ones.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import pytest
from fastmcp import Client

from mcp_server.app import App, build_app, telemetry_config
from mcp_server.settings import Settings
from observability import Telemetry, apply_telemetry_update
from observability.testing import capture_logs, setup_for_tests
from tests.helpers.dead_endpoints import BlackHoleListener, closed_port_endpoint
from tests.helpers.otlp_receiver import GrpcOtlpReceiver, HttpOtlpReceiver, attributes_dict

ADMIN_TOKEN = "admin-token-for-tests-0123"
ADMIN = {"admin_token": ADMIN_TOKEN}
PROTOCOLS = ["http/protobuf", "grpc"]


@dataclass
class Running:
    app: App
    telemetry: Telemetry
    recorder: Any


@pytest.fixture
def receiver() -> Iterator[Callable[..., Any]]:
    """Opens real OTLP receivers (HTTP or gRPC); closes them after the server is shut down."""
    opened: list[Any] = []

    def open_receiver(protocol: str = "http/protobuf") -> Any:
        opened.append((HttpOtlpReceiver if protocol == "http/protobuf" else GrpcOtlpReceiver)().__enter__())
        return opened[-1]

    yield open_receiver
    for item in opened:
        item.__exit__(None, None, None)


@pytest.fixture
def start(make_settings: Callable[..., Settings], receiver: Any) -> Iterator[Callable[..., Running]]:
    """Builds the app with the admin group, 200 ms metric pushes, and the given settings."""
    started: list[Running] = []

    def build(**overrides: Any) -> Running:
        values = {
            "tools": ["utility", "observability", "admin"],
            "export_interval_ms": 200,
            "admin_token": ADMIN_TOKEN,
            **overrides,
        }
        settings = make_settings(**values)
        telemetry, recorder = setup_for_tests(telemetry_config(settings))
        started.append(Running(build_app(settings, telemetry), telemetry, recorder))
        return started[-1]

    yield build
    for running in started:
        running.app.services.close()
        running.telemetry.shutdown(timeout_millis=3_000)


async def _calculate(client: Client, expression: str) -> None:
    result = await client.call_tool_mcp("calculate", {"expression": expression})
    assert not result.is_error, result.content


def _expressions(target: Any) -> Counter[str]:
    """How often each calculate call (by its unique expression) reached the receiver."""
    return target.received.argument_counts("mcp.tool.calculate", "expression")


def _calls_counter(target: Any) -> float:
    """The latest cumulative `mcp.tool.calls` for calculate the receiver got."""
    values = [
        point.as_int
        for metric in target.received.metrics("mcp.tool.calls")
        for point in metric.sum.data_points
        if attributes_dict(point.attributes).get("mcp.tool.name") == "calculate"
    ]
    return values[-1] if values else 0


@asynccontextmanager
async def _http(app: App) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=app.mcp.http_app(path="/mcp"))
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


class TestSwitch:
    @pytest.fixture(autouse=True)
    def _no_scheduled_span_exports(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Spans leave only through a drain, a full batch or force_flush, not a 5 s timer."""
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    async def test_calls_before_the_switch_reach_a_and_after_it_reach_b_exactly_once(
        self, start: Any, receiver: Any, protocol: str
    ) -> None:
        """The tool switches A -> B: earlier spans drain to A, later ones reach B, each exactly once."""
        a, b = receiver(protocol), receiver(protocol)
        running = start(otlp_endpoint=a.endpoint, otlp_protocol=protocol)
        before, after = [f"{n}*1" for n in range(10)], [f"{n}*1" for n in range(10, 20)]
        async with Client(running.app.mcp) as client:
            for expression in before:
                await _calculate(client, expression)
            switch = {"endpoint": b.endpoint, "headers": {"X-Tenant": "blue", "authorization": "Bearer s3cret-1"}}
            with capture_logs() as logs:
                result = await client.call_tool_mcp("configure_telemetry", ADMIN | switch)
            assert not result.is_error, result.content
            drained = a.received.wait_for(lambda r: _expressions(a) == Counter(before))
            assert drained, "the old pipeline delivers what it had to A by itself"
            for expression in after:
                await _calculate(client, expression)
        running.telemetry.force_flush()
        assert _expressions(a) == Counter(before)
        assert _expressions(b) == Counter(after)
        sent_headers = [{k.lower(): v for k, v in headers.items()} for headers in b.received.headers]
        assert all(headers.get("x-tenant") == "blue" for headers in sent_headers)
        (event,) = [e for e in logs if e["event"] == "telemetry_reconfigured"]
        assert (event["source"], event["old_endpoint"], event["new_endpoint"]) == ("tool", a.endpoint, b.endpoint)
        assert event["headers"] == {"x-tenant": "***", "authorization": "***"}
        assert "s3cret" not in repr(event)

    async def test_a_switch_under_load_from_8_clients_loses_and_duplicates_nothing(
        self, start: Any, receiver: Any
    ) -> None:
        """8 clients call in a loop while POST /admin/telemetry moves export from HTTP A to gRPC B."""
        a, b = receiver("http/protobuf"), receiver("grpc")
        running = start(otlp_endpoint=a.endpoint, admin_token=ADMIN_TOKEN)
        done_before: list[str] = []
        started_after: list[str] = []
        every: list[str] = []
        failures: list[Any] = []
        switching, switched, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def client_loop(number: int) -> None:
            async with Client(running.app.mcp) as client:
                for i in range(100_000):
                    if stop.is_set():
                        return
                    expression, after_switch = f"{number * 100_000 + i}*1", switched.is_set()
                    result = await client.call_tool_mcp("calculate", {"expression": expression})
                    if result.is_error:
                        failures.append(result.content)
                    every.append(expression)
                    if not switching.is_set():
                        done_before.append(expression)
                    elif after_switch:
                        started_after.append(expression)

        async def wait_until(condition: Callable[[], bool]) -> None:
            with anyio.fail_after(60):
                while not condition():
                    await asyncio.sleep(0.01)

        clients = [asyncio.create_task(client_loop(number)) for number in range(8)]
        await wait_until(lambda: len(every) >= 80)
        switching.set()
        async with _http(running.app) as http:
            response = await http.post(
                "/admin/telemetry",
                json={"endpoint": b.endpoint, "protocol": "grpc"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
        assert response.status_code == 200, response.text
        switched.set()
        await wait_until(lambda: len(started_after) >= 80)
        stop.set()
        await asyncio.gather(*clients)
        running.telemetry.force_flush()
        seen_a, seen_b = _expressions(a), _expressions(b)
        assert failures == []
        assert seen_a + seen_b == Counter(every), "every call's span arrives exactly once"
        assert set(done_before) <= set(seen_a) and not set(done_before) & set(seen_b)
        assert set(started_after) <= set(seen_b) and not set(started_after) & set(seen_a)

    async def test_metrics_follow_the_switch(self, start: Any, receiver: Any) -> None:
        """After the switch B gets mcp.tool.calls (running totals) and A gets no more metrics."""
        a, b = receiver(), receiver()
        running = start(otlp_endpoint=a.endpoint)
        async with Client(running.app.mcp) as client:
            for n in range(3):
                await _calculate(client, f"{n}+1")
            assert a.received.wait_for(lambda r: _calls_counter(a) == 3), "200 ms pushes reach A"
            await client.call_tool_mcp("configure_telemetry", ADMIN | {"endpoint": b.endpoint})
            running.telemetry.force_flush()  # waits for A's last batch, drained in the background
            pushes_to_a = len(a.received.metric_requests)
            for n in range(2):
                await _calculate(client, f"{n}+2")
            assert b.received.wait_for(lambda r: _calls_counter(b) == 5), "periodic pushes now reach B"
        running.telemetry.force_flush()
        assert len(a.received.metric_requests) == pushes_to_a

    async def test_sampler_ratio_interval_and_resource_attributes_change_while_serving(
        self, start: Any, receiver: Any
    ) -> None:
        """Ratio 0 records no trace; resource attributes reach spans and metrics; the interval moves."""
        a = receiver()
        running = start(otlp_endpoint=a.endpoint)
        update = {"sampler_ratio": 0.0, "export_interval_ms": 300, "resource_attributes": {"deployment.environment": "blue"}}
        async with Client(running.app.mcp) as client:
            result = await client.call_tool_mcp("configure_telemetry", ADMIN | update)
            assert result.structured_content["result"]["telemetry"]["export_interval_ms"] == 300
            await _calculate(client, "7*7")
            await client.call_tool_mcp("configure_telemetry", ADMIN | {"sampler_ratio": 1.0})
            await _calculate(client, "8*8")
        running.telemetry.force_flush()
        assert _expressions(a) == Counter(["8*8"]), "nothing recorded at ratio 0"
        assert a.received.resources()[-1]["deployment.environment"] == "blue"
        last_metrics = a.received.metric_requests[-1].resource_metrics[0].resource
        assert attributes_dict(last_metrics.attributes)["deployment.environment"] == "blue"


class TestRefusedConfigs:
    BAD_UPDATES = [
        {"endpoint": "ftp://collector:4318"},
        {"endpoint": "http://user:pw@collector:4318"},
        {"endpoint": "not a url"},
        {"sampler_ratio": 1.5},
        {"export_interval_ms": 5},
        {"protocol": "thrift"},
        {"headers": {"x-a": "1\r\nInjected: yes"}},
        {"headers": {"bad name": "v"}},
        {"protocol": "grpc", "endpoint": "http://127.0.0.1:4317/v1/traces"},
        {"endpoint": "http://127.0.0.1:1", "unknown_key": 1},
    ]

    async def test_invalid_configs_are_refused_whole_and_the_old_endpoint_keeps_receiving(
        self, start: Any, receiver: Any
    ) -> None:
        """Each bad update is invalid_arguments; a valid key beside a bad one is not applied either."""
        a = receiver()
        running = start(otlp_endpoint=a.endpoint)
        async with Client(running.app.mcp) as client:
            for update in [*self.BAD_UPDATES, {"endpoint": closed_port_endpoint(), "sampler_ratio": -1}]:
                result = await client.call_tool_mcp("configure_telemetry", ADMIN | update)
                assert result.is_error, update
                assert result.structured_content["type"] == "invalid_arguments"
            assert "Injected" not in json.dumps(result.structured_content)
            await _calculate(client, "6*7")
        running.telemetry.force_flush()
        assert running.telemetry.status()["endpoint"] == a.endpoint
        assert _expressions(a) == Counter(["6*7"])

    async def test_hostile_tool_arguments_get_a_clear_error_and_the_server_keeps_serving(
        self, start: Any, receiver: Any
    ) -> None:
        """Wrong types, huge values and traversal-looking URLs are invalid_arguments, never a crash."""
        running = start(otlp_endpoint=receiver().endpoint)
        hostile = [
            {"endpoint": 12345},
            {"endpoint": "http://x/" + "a" * 100_000},
            {"endpoint": "file:///etc/passwd"},
            {"endpoint": "http://127.0.0.1:99999"},
            {"headers": ["authorization", "x"]},
            {"headers": {f"h{n}": "v" for n in range(1_000)}},
            {"headers": {"grpc-timeout": "1S"}},
            {"sampler_ratio": "half"},
            {"export_interval_ms": 10**12},
            {"resource_attributes": {"a": {"nested": 1}}},
        ]
        async with Client(running.app.mcp) as client:
            for arguments in hostile:
                result = await client.call_tool_mcp("configure_telemetry", ADMIN | arguments)
                assert result.is_error and result.structured_content["type"] == "invalid_arguments", arguments
            await _calculate(client, "1+1")


class TestAdminEndpoint:
    async def test_without_an_admin_token_the_endpoint_does_not_exist(self, start: Any) -> None:
        """GET and POST /admin/telemetry are 404 when MCP_SERVER_ADMIN_TOKEN is unset."""
        running = start(admin_token=None)
        async with _http(running.app) as http:
            assert (await http.get("/admin/telemetry")).status_code == 404
            assert (await http.post("/admin/telemetry", json={"endpoint": None})).status_code == 404

    async def test_a_missing_or_wrong_token_is_401_with_a_bearer_challenge(self, start: Any, receiver: Any) -> None:
        """No change happens without the admin token; the answer says how to authenticate."""
        a = receiver()
        running = start(otlp_endpoint=a.endpoint, admin_token=ADMIN_TOKEN, auth_token="the-mcp-token-not-admin")
        async with _http(running.app) as http:
            for headers in ({}, {"Authorization": "Bearer the-mcp-token-not-admin"}, {"Authorization": ADMIN_TOKEN}):
                response = await http.post("/admin/telemetry", json={"endpoint": None}, headers=headers)
                assert response.status_code == 401
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert response.json()["type"] == "unauthorized"
            assert (await http.get("/admin/telemetry")).status_code == 401
        assert running.telemetry.status()["endpoint"] == a.endpoint

    async def test_with_the_token_get_shows_state_and_post_validates_then_applies(
        self, start: Any, receiver: Any
    ) -> None:
        """400 for broken JSON, 422 for a bad config (old one kept), 200 and the new state for a good one."""
        a = receiver()
        running = start(otlp_endpoint=a.endpoint, admin_token=ADMIN_TOKEN)
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with _http(running.app) as http:
            shown = (await http.get("/admin/telemetry", headers=auth)).json()
            assert shown["endpoint"] == a.endpoint and "consecutive_failures" in shown["traces"]
            broken = await http.post("/admin/telemetry", content=b"{not json", headers=auth)
            assert broken.status_code == 400
            for body in ([1, 2], {"sampler_ratio": 2, "endpoint": None}):
                refused = await http.post("/admin/telemetry", json=body, headers=auth)
                assert refused.status_code == 422 and refused.json()["type"] == "invalid_arguments"
            assert "sampler_ratio" in refused.json()["error"]
            assert running.telemetry.status()["endpoint"] == a.endpoint
            applied = await http.post("/admin/telemetry", json={"endpoint": None}, headers=auth)
        assert applied.status_code == 200
        assert applied.json()["previous"]["endpoint"] == a.endpoint
        assert applied.json()["telemetry"]["traces"]["target"].startswith("file ")


class TestDownEndpoint:
    @pytest.fixture(autouse=True)
    def _short_export_timeouts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """0.5 s OTLP timeouts and a small span queue, read by the exporters built at the switch."""
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.5")
        monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "8")
        monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4")

    @pytest.mark.parametrize("down", ["closed-port", "black-hole"])
    async def test_calls_succeed_and_the_failures_and_drops_show_in_exporter_health(
        self, start: Any, receiver: Any, down: str
    ) -> None:
        """Every call succeeds; telemetry_status, telemetry://status and /readyz show the failures and drops."""
        running = start(otlp_endpoint=receiver().endpoint, admin_token=ADMIN_TOKEN)
        with BlackHoleListener() as hole:
            endpoint = closed_port_endpoint() if down == "closed-port" else hole.endpoint
            apply_telemetry_update(running.telemetry, {"endpoint": endpoint}, "http")
            running.recorder.clear()
            dropped_before = running.telemetry.health["traces"].dropped_items
            exported_before = running.telemetry.health["traces"].exported_items
            async with Client(running.app.mcp) as client:
                for n in range(30):
                    await _calculate(client, f"{n}-1")
                running.telemetry.force_flush()
                status = (await client.call_tool_mcp("telemetry_status", {})).structured_content["result"]
                (resource,) = await client.read_resource("telemetry://status")
            async with _http(running.app) as http:
                ready = (await http.get("/readyz")).json()
            running.telemetry.force_flush()
            spans_since_switch = len(running.recorder.get_finished_spans())
            dropped = running.telemetry.health["traces"].dropped_items - dropped_before
            running.telemetry.shutdown(timeout_millis=500)
        traces = status["traces"]
        assert endpoint in traces["target"] and traces["last_success_unix"] is None
        assert traces["consecutive_failures"] >= 1 and status["metrics"]["consecutive_failures"] >= 1
        if down == "black-hole":  # the exporter hangs 0.5 s per batch of 4: 120 spans overflow 8 slots
            assert traces["dropped_queue_full"] > 0, "queue-full drops are counted"
        # >=, not ==: the SDK counts a queue-full drop before it appends, so a batch the worker
        # takes at that instant can make it count a span that then fails export (counted twice).
        assert dropped >= spans_since_switch, "every span since the switch is counted as dropped"
        assert status["traces"]["exported_items"] == exported_before, "none reached the dead endpoint"
        assert json.loads(resource.text)["traces"]["consecutive_failures"] >= 1
        assert ready["ready"] is True
        assert ready["checks"]["telemetry"]["traces"]["consecutive_failures"] >= 1


class TestAdminToolAuthorization:
    async def test_the_tool_needs_the_admin_token(self, start: Any, receiver: Any) -> None:
        """A missing or wrong admin_token is `unauthorized` and nothing changes."""
        a = receiver()
        running = start(otlp_endpoint=a.endpoint)
        async with Client(running.app.mcp) as client:
            for arguments in ({"endpoint": None}, {"admin_token": "wrong", "endpoint": None}):
                result = await client.call_tool_mcp("configure_telemetry", arguments)
                assert result.is_error
                expected = "invalid_arguments" if "admin_token" not in arguments else "unauthorized"
                assert result.structured_content["type"] == expected
        assert running.telemetry.export.endpoint == a.endpoint

    async def test_without_a_configured_admin_token_the_tool_refuses(self, start: Any, receiver: Any) -> None:
        """Enabling the admin group without MCP_SERVER_ADMIN_TOKEN leaves the tool unusable."""
        running = start(otlp_endpoint=receiver().endpoint, admin_token=None)
        async with Client(running.app.mcp) as client:
            result = await client.call_tool_mcp("configure_telemetry", {"admin_token": "anything", "endpoint": None})
        assert result.is_error and result.structured_content["type"] == "unauthorized"
