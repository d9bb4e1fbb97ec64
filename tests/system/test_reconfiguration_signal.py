"""A real server process re-pointed while serving: SIGHUP with a changed TOML file, and the admin POST.

The server is `python -m mcp_server` over streamable HTTP; the two OTLP receivers are real
sockets in this process (the fakes at the boundary: no Collector on this machine).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx2
from fastmcp import Client

from tests.helpers.otlp_receiver import HttpOtlpReceiver
from tests.helpers.server_process import HttpServer, server_env

ADMIN_TOKEN = "system-admin-token-4242"


def _write_config(path: Path, endpoint: str, ratio: float = 1.0) -> None:
    path.write_text(f'otlp_endpoint = "{endpoint}"\nexport_interval_ms = 200\nsampler_ratio = {ratio}\n')


def _expressions(target: Any) -> Counter[str]:
    """How often each calculate call (by its unique expression) reached the receiver."""
    return target.received.argument_counts("mcp.tool.calculate", "expression")


async def _call_all(url: str, expressions: list[str]) -> None:
    async with Client(url) as client:
        for expression in expressions:
            result = await client.call_tool_mcp("calculate", {"expression": expression})
            assert not result.is_error, result.content


async def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition() and time.monotonic() < deadline:
        await anyio.sleep(0.05)
    assert condition(), what


def _endpoint(admin: httpx2.Client) -> str | None:
    return admin.get("/admin/telemetry").json()["endpoint"]


class TestSignalAndAdminPost:
    async def test_sighup_and_the_admin_post_switch_a_running_server(self, tmp_path: Path) -> None:
        """SIGHUP with a changed file moves export A -> B; a bad file keeps B; POST moves it back to A."""
        config = tmp_path / "server.toml"
        root = tmp_path / "root"
        root.mkdir()
        env = server_env(
            tmp_path / "data",
            root,
            {"MCP_SERVER_ADMIN_TOKEN": ADMIN_TOKEN, "OTEL_BSP_SCHEDULE_DELAY": "100"},
        )
        batches = [[f"{batch}{n}*1" for n in range(5)] for batch in range(1, 5)]
        with HttpOtlpReceiver() as a, HttpOtlpReceiver() as b:
            _write_config(config, a.endpoint)
            with HttpServer(env, args=["--config", str(config)]) as server:
                auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
                with httpx2.Client(base_url=server.base_url, headers=auth) as admin:
                    refused = httpx2.post(f"{server.base_url}/admin/telemetry", json={"endpoint": b.endpoint})
                    assert refused.status_code == 401 and "Bearer" in refused.headers["www-authenticate"]

                    await _call_all(server.url, batches[0])
                    await _wait_for(lambda: _expressions(a) == Counter(batches[0]), "batch 1 at A")

                    _write_config(config, b.endpoint)
                    os.kill(server.process.pid, signal.SIGHUP)
                    await _wait_for(lambda: _endpoint(admin) == b.endpoint, "SIGHUP switched to B")
                    await _call_all(server.url, batches[1])
                    await _wait_for(lambda: _expressions(b) == Counter(batches[1]), "batch 2 at B")
                    await _wait_for(lambda: "mcp.tool.calls" in b.received.metric_names(), "metrics at B")

                    _write_config(config, a.endpoint, ratio=5)
                    os.kill(server.process.pid, signal.SIGHUP)
                    await _wait_for(lambda: any("config_reload_failed" in line for line in server.stderr_lines), "logged")
                    assert _endpoint(admin) == b.endpoint, "an invalid file keeps the running config"
                    await _call_all(server.url, batches[2])
                    await _wait_for(lambda: _expressions(b) == Counter(batches[1] + batches[2]), "batch 3 at B")

                    moved = admin.post("/admin/telemetry", json={"endpoint": a.endpoint})
                    assert moved.status_code == 200, moved.text
                    await _call_all(server.url, batches[3])
                    await _wait_for(lambda: _expressions(a) == Counter(batches[0] + batches[3]), "batch 4 at A")
        assert _expressions(b) == Counter(batches[1] + batches[2]), "nothing duplicated or misrouted"
        events = [json.loads(line) for line in server.stderr_lines if line.startswith("{")]
        sources = [event["source"] for event in events if event.get("event") == "telemetry_reconfigured"]
        assert sources == ["signal", "http"]
