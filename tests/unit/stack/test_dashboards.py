"""Grafana dashboards and provisioning: every query reads metrics the server really exposes.

The metric check runs a few tool calls in-process (both protocol eras, successes, errors and
cache hits) and compares every series a dashboard, an alert or a data-source query reads with
the registry's exposition, which is what `/metrics` serves. The real Prometheus evaluation of
the same queries is in tests/system/test_stack_prometheus.py.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from fastmcp import Client

from mcp_server.app import App
from observability import Telemetry
from tests.helpers import promql
from tests.helpers.stack_files import (
    DASHBOARD_PROVIDERS_FILE,
    alert_rules,
    compose,
    dashboard_files,
    dashboard_queries,
    datasource_queries,
    datasources,
    interpolate,
    load_dashboard,
    load_yaml,
    panels,
    variables,
)

# Placeholders for the variables, so the parser sees valid PromQL and the matchers can be checked.
_PLACEHOLDERS = {
    "job": "JOB",
    "instance": "INSTANCE",
    "__rate_interval": "1m",
    "__interval": "1m",
    "__tags": "",
}
_DASHBOARDS = [pytest.param(path, id=path.name) for path in dashboard_files()]


async def _exposed_series(app: App, telemetry: Telemetry) -> set[str]:
    async with Client(app.mcp, mode="legacy") as client:
        await client.call_tool_mcp("calculate", {"expression": "2*21"})
    async with Client(app.mcp) as client:
        await client.call_tool_mcp("calculate", {"expression": "1/0"})
        await client.call_tool_mcp("context_get", {"key": "absent"})
        await client.call_tool_mcp("system_info", {})
        await client.call_tool_mcp("system_info", {})
        await client.call_tool_mcp("health_check", {})
    return {sample.name for family in telemetry.registry.collect() for sample in family.samples}


def _variable_selector(query: str) -> str:
    """The series selector inside a `label_values(selector, label)` variable query."""
    inner = query.removeprefix("label_values(").removesuffix(")")
    return inner.rsplit(",", 1)[0]


class TestMetricsExist:
    async def test_every_queried_series_is_in_the_exposition(
        self, app: App, telemetry: Telemetry
    ) -> None:
        """Each metric read by a panel, a variable, an alert or a data-source query is exposed."""
        exposed = await _exposed_series(app, telemetry)
        queries = [(q.id, q.expr) for q in (*dashboard_queries(), *datasource_queries())]
        queries += [(f"alerts.yml: {rule['alert']}", rule["expr"]) for rule in alert_rules()]
        for path in dashboard_files():
            for variable in variables(load_dashboard(path)):
                if variable["type"] == "query":
                    queries.append(
                        (f"{path.name}: ${variable['name']}", _variable_selector(variable["query"]))
                    )
        exposed.add("up")  # written by Prometheus for each scrape, not by the server
        missing = {
            where: sorted(promql.metric_names(interpolate(expr, _PLACEHOLDERS)) - exposed)
            for where, expr in queries
        }
        assert {where: names for where, names in missing.items() if names} == {}
        assert len(dashboard_files()) >= 2 and all(expr for _where, expr in queries)


@pytest.mark.parametrize("path", _DASHBOARDS)
class TestDashboard:
    def test_every_panel_has_a_title_description_unit_and_known_data_source(
        self, path: Path
    ) -> None:
        """Panels say what they show and in which unit, and use a provisioned data source."""
        uids = set(datasources())
        for panel in panels(load_dashboard(path)):
            defaults = panel["fieldConfig"]["defaults"]
            assert panel["title"] and panel["description"], panel
            assert defaults.get("unit"), panel["title"]
            assert panel["datasource"]["uid"] in uids, panel["title"]
            title = panel["title"]
            assert panel["targets"], title
            assert {target["datasource"]["uid"] for target in panel["targets"]} <= uids, title

    def test_every_selector_honours_the_job_and_instance_variables(self, path: Path) -> None:
        """Every series a panel reads is filtered by job="$job" and instance=~"$instance"."""
        for panel in panels(load_dashboard(path)):
            for target in panel["targets"]:
                for selector in promql.vector_selectors(interpolate(target["expr"], _PLACEHOLDERS)):
                    where = (panel["title"], selector.name)
                    labels = promql.matchers(selector)
                    assert labels.get("job") == ("=", "JOB"), where
                    assert labels.get("instance") == ("=~", "INSTANCE"), where

    def test_job_and_instance_variables_come_from_server_metrics(self, path: Path) -> None:
        """The job variable lists jobs with server metrics; instance follows job and allows All."""
        by_name = {variable["name"]: variable for variable in variables(load_dashboard(path))}
        job, instance = by_name["job"], by_name["instance"]
        assert job["query"].startswith("label_values(") and job["query"].endswith(", job)")
        assert '$job"' in instance["query"] and instance["query"].endswith(", instance)")
        assert instance["includeAll"] and instance["allValue"] == ".+"

    def test_thresholds_are_ordered_and_stats_have_them(self, path: Path) -> None:
        """Threshold steps rise; a panel coloured by thresholds has at least one beyond the base."""
        for panel in panels(load_dashboard(path)):
            defaults = panel["fieldConfig"]["defaults"]
            steps = defaults.get("thresholds", {}).get("steps", [])
            values = [step["value"] for step in steps[1:]]
            assert values == sorted(values), panel["title"]
            if defaults.get("color", {}).get("mode") == "thresholds":
                assert len(steps) >= 2, panel["title"]

    def test_panel_ids_are_unique_and_fit_the_grid(self, path: Path) -> None:
        """Grafana needs unique panel ids; a panel wider than 24 columns breaks the layout."""
        dashboard = load_dashboard(path)
        rows = [panel for panel in dashboard["panels"] if panel["type"] == "row"]
        every = [*rows, *panels(dashboard)]
        assert len({panel["id"] for panel in every}) == len(every)
        for panel in every:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]


class TestVariablesAgree:
    def test_every_dashboard_declares_the_same_variables(self) -> None:
        """Links between dashboards carry the variables over, so they must mean the same thing."""
        declared = [variables(load_dashboard(path)) for path in dashboard_files()]
        assert all(found == declared[0] for found in declared[1:])


class TestTraceLinks:
    def _links(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (panel["title"], link)
            for path in dashboard_files()
            for panel in panels(load_dashboard(path))
            for link in panel["fieldConfig"]["defaults"].get("links", [])
        ]

    def test_latency_and_error_panels_link_to_jaeger(self) -> None:
        """Every per-tool duration panel and the error-ratio panel jump to traces."""
        titles = {title for title, _link in self._links()}
        assert {"p50 duration by tool", "p95 duration by tool", "p99 duration by tool"} <= titles
        assert "Error ratio by tool and error type" in titles

    def test_links_open_a_jaeger_search_for_the_clicked_tool(self) -> None:
        """After Grafana fills in the field's labels, the link is a valid Explore URL on Jaeger."""
        values = {
            "service": "mcp-observatory",
            "__from": "1000",
            "__to": "2000",
            "__field.labels.mcp_tool_name": "calculate",
        }
        for title, link in self._links():
            url = link["url"].replace("${__field.labels.mcp_tool_name:percentencode}", "calculate")
            url = interpolate(url, values)
            parsed = urllib.parse.urlsplit(url)
            assert parsed.path == "/explore", title
            panes = json.loads(urllib.parse.parse_qs(parsed.query)["panes"][0])
            (pane,) = panes.values()
            (query,) = pane["queries"]
            assert pane["datasource"] == "jaeger" and query["datasource"]["uid"] in datasources(), (
                title
            )
            assert query["queryType"] == "search" and query["service"] == "mcp-observatory", title
            assert query["operation"] == "mcp.tool.calculate", title
            assert pane["range"] == {"from": "1000", "to": "2000"}, title


class TestProvisioning:
    def test_data_sources_have_fixed_uids_and_compose_hostnames(self) -> None:
        """Prometheus and Jaeger are provisioned with the uids the dashboards use."""
        sources = datasources()
        assert sources["prometheus"]["type"] == "prometheus"
        assert sources["jaeger"]["type"] == "jaeger"
        exemplars = sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
        assert [destination["datasourceUid"] for destination in exemplars] == ["jaeger"]
        assert sources["jaeger"]["jsonData"]["tracesToMetrics"]["datasourceUid"] == "prometheus"

    def test_every_dashboard_is_mounted_where_the_file_provider_reads(self) -> None:
        """Compose mounts each dashboards/*.json into the provider's folder, so none is forgotten."""
        (provider,) = load_yaml(DASHBOARD_PROVIDERS_FILE)["providers"]
        folder = PurePosixPath(provider["options"]["path"])
        mounts = {
            Path(volume.split(":")[0]).name: PurePosixPath(volume.split(":")[1])
            for volume in compose()["services"]["grafana"]["volumes"]
            if volume.split(":")[0].endswith(".json")
        }
        assert set(mounts) == {path.name for path in dashboard_files()}
        assert {target.parent for target in mounts.values()} == {folder}

    def test_dashboard_uids_are_unique(self) -> None:
        """Links between dashboards and the home dashboard rely on stable, distinct uids."""
        uids = [load_dashboard(path)["uid"] for path in dashboard_files()]
        assert len(uids) == len(set(uids)) >= 2
