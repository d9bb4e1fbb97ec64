"""A real Prometheus server as a subprocess for system tests, and a small client for its HTTP API.

It runs with a temporary TSDB and listens on a free loopback port; the caller gives it a
config (a dict, written as YAML).
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.server_process import free_port


class PrometheusServer:
    """`prometheus --config.file=<workdir>/prometheus.yml` on 127.0.0.1:<free port>."""

    def __init__(self, binary: str, config: dict[str, Any], workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        config_file = workdir / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        self.url = f"http://127.0.0.1:{free_port()}"
        self._log = (workdir / "prometheus.log").open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
                "--log.level=warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
        self._log_path = workdir / "prometheus.log"

    def get(self, path: str, **params: str) -> Any:
        """GET an API path and return its `data` (raises on an API error)."""
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as response:
            body = json.loads(response.read())
        if body.get("status") != "success":
            msg = f"{path} {params}: {body}"
            raise RuntimeError(msg)
        return body["data"]

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait for `/-/ready`; raise with the log if Prometheus exits or stays unready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        self.stop()
        msg = (
            "prometheus did not become ready:\n"
            + self._log_path.read_text(encoding="utf-8")[-3000:]
        )
        raise RuntimeError(msg)

    def query(self, expr: str, **params: str) -> list[dict[str, Any]]:
        """Instant query; the result vector (empty when nothing matches)."""
        return list(self.get("/api/v1/query", query=expr, **params)["result"])

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """Range query, as Grafana sends for a time-series panel; the result matrix."""
        data = self.get(
            "/api/v1/query_range", query=expr, start=str(start), end=str(end), step=str(step)
        )
        return list(data["result"])

    def label_values(self, label: str, selector: str) -> list[str]:
        """Values of `label` on series matching `selector` (Grafana's `label_values`)."""
        return list(self.get(f"/api/v1/label/{label}/values", **{"match[]": selector}))

    def stop(self) -> None:
        """Terminate Prometheus and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()
