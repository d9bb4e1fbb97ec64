"""The bundled stack's files as data: dashboards and their queries, alert rules, compose, configs.

Also Grafana's variable interpolation, done the way Grafana does it for the few forms the
dashboards use (`$name`, `${name}`, `${name:format}`), so tests can run panel queries as
Grafana would send them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "dashboards"
DATASOURCES_FILE = DASHBOARDS / "provisioning" / "datasources" / "datasources.yaml"
DASHBOARD_PROVIDERS_FILE = DASHBOARDS / "provisioning" / "dashboards" / "dashboards.yaml"
PROMETHEUS_DIR = REPO / "prometheus"
COMPOSE_FILE = REPO / "docker-compose.yml"
COLLECTOR_FILE = REPO / "collector" / "otel-collector.yaml"
JAEGER_FILE = REPO / "collector" / "jaeger.yaml"
DOCKERFILE = REPO / "Dockerfile"

_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


@dataclass(frozen=True)
class Query:
    """One PromQL expression somewhere in the stack, named for failure messages."""

    source: str  # "mcp-tools-red.json", "alerts.yml", "datasources.yaml"
    title: str  # panel title, alert name, or data-source query name
    expr: str
    legend: str = ""  # Grafana legendFormat, e.g. "{{mcp_tool_name}}"

    @property
    def id(self) -> str:
        return f"{self.source}: {self.title}"


def load_yaml(path: Path) -> Any:
    """A YAML file as Python data."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dashboard_files() -> list[Path]:
    """Every dashboard JSON of the stack."""
    return sorted(DASHBOARDS.glob("*.json"))


def load_dashboard(path: Path) -> dict[str, Any]:
    """One dashboard as Python data."""
    return json.loads(path.read_text(encoding="utf-8"))


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that shows data (rows are walked into, not returned)."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panels(panel)
        else:
            yield panel


def variables(dashboard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's template variables, in dependency order (as listed)."""
    return list(dashboard.get("templating", {}).get("list", []))


def dashboard_queries() -> list[Query]:
    """Every panel target expression of every dashboard."""
    return [
        Query(
            path.name,
            f"{panel['title']} [{target['refId']}]",
            target["expr"],
            target.get("legendFormat", ""),
        )
        for path in dashboard_files()
        for panel in panels(load_dashboard(path))
        for target in panel.get("targets", [])
    ]


def alert_rules() -> list[dict[str, Any]]:
    """Every rule of prometheus/alerts.yml."""
    groups = load_yaml(PROMETHEUS_DIR / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def datasource_queries() -> list[Query]:
    """PromQL that the provisioned Jaeger data source runs from a span (traces to metrics).

    In the provisioning file `$$` is Grafana's escape for a literal `$`.
    """
    queries = []
    for source in load_yaml(DATASOURCES_FILE)["datasources"]:
        for query in source.get("jsonData", {}).get("tracesToMetrics", {}).get("queries", []):
            queries.append(
                Query(DATASOURCES_FILE.name, query["name"], query["query"].replace("$$", "$"))
            )
    return queries


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """Replace Grafana variables in `text`; an unknown variable is an error, not left in place."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name not in values:
            msg = f"no value for Grafana variable ${name} in {text!r}"
            raise KeyError(msg)
        return values[name]

    return _VARIABLE.sub(replace, text)


def rate_interval(interval_s: float, scrape_interval_s: float) -> float:
    """Grafana's `$__rate_interval`: max($__interval + scrape interval, 4 x scrape interval)."""
    return max(interval_s + scrape_interval_s, 4 * scrape_interval_s)


def compose() -> dict[str, Any]:
    """docker-compose.yml as Python data."""
    return load_yaml(COMPOSE_FILE)


def datasources() -> dict[str, dict[str, Any]]:
    """Provisioned Grafana data sources by uid."""
    return {source["uid"]: source for source in load_yaml(DATASOURCES_FILE)["datasources"]}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def dockerfile_health_probe() -> list[str]:
    """The exec-form command of the Dockerfile's HEALTHCHECK."""
    (arguments,) = [value for op, value in dockerfile_instructions() if op == "HEALTHCHECK"]
    return list(json.loads(arguments.split(" CMD ", 1)[1]))
