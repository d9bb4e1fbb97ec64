"""Faults on a real server: kill -9 during context writes, SIGTERM while serving, a black-holed
telemetry endpoint."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from fastmcp import Client

from tests.helpers.dead_endpoints import BlackHoleListener
from tests.helpers.server_process import HttpServer, server_env


class TestKillNine:
    async def test_every_acknowledged_context_write_survives_kill_9(self, tmp_path: Path, root_dir: Path) -> None:
        """Writers run until the server is SIGKILLed mid-stream; after a restart every write the
        client saw acknowledged is there with its value (SQLite WAL)."""
        env = server_env(tmp_path / "data", root_dir)
        acknowledged: list[int] = []
        server = HttpServer(env).wait_ready()

        async def writer(worker: int) -> None:
            try:
                async with Client(server.url) as client:
                    for i in range(10_000):
                        key = worker * 100_000 + i
                        reply = await client.call_tool_mcp("context_set", {"key": f"k{key}", "value": {"n": key}})
                        if reply.is_error:
                            return
                        acknowledged.append(key)
            except Exception:  # noqa: BLE001 - the server died under us: that is the point
                return

        async def killer() -> None:
            while len(acknowledged) < 60:
                await asyncio.sleep(0.01)
            server.stop(sig=signal.SIGKILL)

        await asyncio.gather(writer(1), writer(2), writer(3), killer())
        assert server.process.returncode == -signal.SIGKILL
        with HttpServer(env) as restarted:
            async with Client(restarted.url) as client:
                listed = await client.call_tool_mcp("context_list", {"limit": 1000})
                present = {entry["key"] for entry in listed.structured_content["result"]["entries"]}
                sample = await client.call_tool_mcp("context_get", {"key": f"k{acknowledged[-1]}"})
        missing = [key for key in acknowledged if f"k{key}" not in present]
        assert missing == []
        assert sample.structured_content["result"]["value"] == {"n": acknowledged[-1]}


class TestBlackHoledTelemetry:
    async def test_calls_succeed_and_drops_are_counted(self, tmp_path: Path, root_dir: Path) -> None:
        """With a collector that never answers, every call succeeds and the exporter health shows it.

        (That latency is unchanged is measured in bench/, not asserted here.)
        """
        with BlackHoleListener() as hole:
            env = server_env(
                tmp_path / "data",
                root_dir,
                {
                    "OTEL_EXPORTER_OTLP_ENDPOINT": hole.endpoint,
                    "OTEL_BSP_SCHEDULE_DELAY": "100",
                    "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
                    "OTEL_METRIC_EXPORT_INTERVAL": "300",
                },
            )
            with HttpServer(env) as server:
                async with Client(server.url) as client:
                    for i in range(40):
                        assert not (await client.call_tool_mcp("calculate", {"expression": f"{i}"})).is_error
                    status: dict[str, object] = {}
                    for _ in range(100):
                        status = (await client.call_tool_mcp("telemetry_status", {})).structured_content["result"]
                        if status["traces"]["failures_total"] and status["metrics"]["failures_total"]:
                            break
                        await asyncio.sleep(0.2)
                assert server.stop() == 0, "shutdown with a hung collector still exits cleanly"
        assert status["traces"]["failures_total"] >= 1
        assert status["metrics"]["failures_total"] >= 1
        assert status["traces"]["healthy"] in (True, False)
