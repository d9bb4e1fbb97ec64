"""The HTTP surface of a real server: bearer auth, Origin checks, the REST facade, OpenAPI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastmcp import Client
from openapi_spec_validator import validate

from tests.helpers.server_process import HttpServer, server_env

TOKEN = "test-token-0123456789abcdef"
PROTECTED = [("GET", "/metrics"), ("GET", "/readyz"), ("GET", "/openapi.json"), ("POST", "/api/v1/tools/calculate"), ("POST", "/mcp")]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One server with MCP_SERVER_AUTH_TOKEN for the whole module."""
    base = tmp_path_factory.mktemp("secured")
    (base / "root").mkdir()
    env = server_env(base / "data", base / "root", {"MCP_SERVER_AUTH_TOKEN": TOKEN})
    with HttpServer(env) as server:
        yield server


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


class TestBearerAuth:
    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    def test_protected_endpoints_refuse_without_the_token(self, secured: HttpServer, method: str, path: str) -> None:
        """401 with WWW-Authenticate: Bearer and an `unauthorized` envelope, with no or a wrong token."""
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            response = httpx2.request(method, secured.base_url + path, headers=headers, json={})
            assert response.status_code == 401, (path, headers)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json()["type"] == "unauthorized"

    @pytest.mark.parametrize(("method", "path"), [p for p in PROTECTED if p[1] != "/mcp"])
    def test_protected_endpoints_answer_with_the_token(self, secured: HttpServer, method: str, path: str) -> None:
        """The same requests succeed with the token."""
        body = {"expression": "1"} if path.startswith("/api") else None
        response = httpx2.request(method, secured.base_url + path, headers=_auth(), json=body)
        assert response.status_code == 200, response.text

    def test_healthz_stays_open(self, secured: HttpServer) -> None:
        """Liveness needs no token."""
        assert httpx2.get(secured.base_url + "/healthz").status_code == 200

    async def test_mcp_clients_connect_with_the_token(self, secured: HttpServer) -> None:
        """A fastmcp.Client with auth=<token> works in both eras; without it, it cannot connect."""
        for mode in ("auto", "legacy"):
            async with Client(secured.url, auth=TOKEN, mode=mode) as client:
                assert not (await client.call_tool_mcp("calculate", {"expression": "2"})).is_error
        with pytest.raises(Exception):  # noqa: B017 - the client's own error type for a 401
            async with Client(secured.url, mode="legacy") as client:
                await client.ping()

    def test_refusals_are_counted_and_logged_without_the_token(self, secured: HttpServer) -> None:
        """mcp_http_unauthorized_total moves; the log line never contains the presented token."""
        httpx2.get(secured.base_url + "/readyz", headers={"Authorization": "Bearer presented-secret-xyz"})
        metrics = httpx2.get(secured.base_url + "/metrics", headers=_auth()).text
        assert "mcp_http_unauthorized_total" in metrics
        assert any("http_request_unauthorized" in line for line in secured.stderr_lines)
        assert not any("presented-secret-xyz" in line for line in secured.stderr_lines)
        assert not any(TOKEN in line for line in secured.stderr_lines)


class TestBinding:
    def test_a_non_loopback_bind_without_a_token_refuses_to_start(self, tmp_path: Path, root_dir: Path) -> None:
        """--host 0.0.0.0 without MCP_SERVER_AUTH_TOKEN exits 2 naming the token setting."""
        env = server_env(tmp_path / "data", root_dir)
        done = subprocess.run(
            [sys.executable, "-m", "mcp_server", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "MCP_SERVER_AUTH_TOKEN" in done.stderr


class TestOrigin:
    def test_a_foreign_origin_is_refused(self, tmp_path: Path, root_dir: Path) -> None:
        """DNS-rebinding defence: an evil Origin gets 403 on /mcp; a local one is served."""
        with HttpServer(server_env(tmp_path / "data", root_dir)) as server:
            initialize = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
            }
            headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
            evil = httpx2.post(server.url, json=initialize, headers={**headers, "Origin": "http://evil.example"})
            local = httpx2.post(server.url, json=initialize, headers={**headers, "Origin": server.base_url})
        assert evil.status_code == 403
        assert local.status_code == 200


class TestRestFacade:
    async def test_rest_and_mcp_return_the_same_envelope(self, secured: HttpServer) -> None:
        """For a success and for each kind of failure, the bodies are identical."""
        cases: list[tuple[str, dict[str, Any], int]] = [
            ("calculate", {"expression": "6*7"}, 200),
            ("calculate", {"expression": "__import__('os')"}, 400),
            ("calculate", {"expression": 5}, 400),
            ("context_get", {"key": "missing"}, 404),
        ]
        async with Client(secured.url, auth=TOKEN) as client:
            for name, arguments, status in cases:
                via_mcp = (await client.call_tool_mcp(name, arguments)).structured_content
                response = httpx2.post(f"{secured.base_url}/api/v1/tools/{name}", json=arguments, headers=_auth())
                assert response.status_code == status
                assert response.json() == via_mcp, name

    @pytest.mark.parametrize(
        ("path", "body", "status", "error_type"),
        [
            ("/api/v1/tools/no_such_tool", {}, 404, "not_found"),
            ("/api/v1/tools/calculate", "not json", 400, "invalid_arguments"),
            ("/api/v1/tools/calculate", [1, 2], 400, "invalid_arguments"),
        ],
    )
    def test_bad_requests_get_the_envelope(
        self, secured: HttpServer, path: str, body: Any, status: int, error_type: str
    ) -> None:
        """Unknown tools and bodies that are not a JSON object are refused with the envelope."""
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        response = httpx2.post(secured.base_url + path, content=content, headers={**_auth(), "Content-Type": "application/json"})
        assert response.status_code == status
        assert response.json()["type"] == error_type

    def test_rest_calls_are_instrumented_like_mcp_calls(self, secured: HttpServer) -> None:
        """A REST call moves mcp_tool_calls_total for its tool."""
        httpx2.post(f"{secured.base_url}/api/v1/tools/system_info", json={}, headers=_auth())
        metrics = httpx2.get(secured.base_url + "/metrics", headers=_auth()).text
        assert 'mcp_tool_calls_total{mcp_tool_name="system_info"' in metrics.replace(", ", ",")


class TestOpenApi:
    def test_the_document_is_valid_openapi_and_lists_every_tool(self, secured: HttpServer) -> None:
        """openapi-spec-validator accepts it; each tool has a POST operation; endpoints are described."""
        document = httpx2.get(secured.base_url + "/openapi.json", headers=_auth()).json()
        validate(document)
        paths = document["paths"]
        assert {"/healthz", "/readyz", "/metrics", "/mcp"} <= set(paths)
        assert "post" in paths["/api/v1/tools/calculate"]
        operation = paths["/api/v1/tools/context_set"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["required"] == ["key", "value"]
        assert document["security"] == [{"bearer": []}]
