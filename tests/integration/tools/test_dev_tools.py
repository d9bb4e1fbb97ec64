"""analyze_code and monitor_performance through a real MCP client (no child processes here)."""

from __future__ import annotations

from pathlib import Path

from fastmcp import Client

from mcp_server.app import App


class TestAnalyzeCode:
    async def test_a_python_file_is_analysed_in_both_eras(self, app: App, root_dir: Path, era: str) -> None:
        """A path inside the root gives functions with complexity, imports and MI."""
        (root_dir / "mod.py").write_text("import json\n\ndef pick(x):\n    if x:\n        return 1\n    return 2\n")
        async with Client(app.mcp, mode=era) as client:
            result = await client.call_tool_mcp("analyze_code", {"path": "mod.py"})
        analysis = result.structured_content["result"]
        assert analysis["language"] == "python"
        assert analysis["path"] == str(root_dir / "mod.py")
        (function,) = analysis["functions"]["items"]
        assert (function["name"], function["line"], function["complexity"]) == ("pick", 3, 2)
        assert analysis["imports"]["items"] == [{"module": "json", "names": [], "line": 1}]
        assert analysis["maintainability_index"] > 0

    async def test_source_text_with_a_syntax_error_reports_where(self, client: Client) -> None:
        """Source text is analysed too; a syntax error is a result with line and column."""
        result = await client.call_tool_mcp("analyze_code", {"source": "def broken(:\n    pass\n"})
        error = result.structured_content["result"]["syntax_error"]
        assert (error["line"], error["column"]) == (1, 12)

    async def test_other_languages_get_line_metrics(self, client: Client, root_dir: Path) -> None:
        """A .js file is measured by lines, with // comments recognised."""
        (root_dir / "app.js").write_text("// entry\nconsole.log(1);\n")
        result = (await client.call_tool_mcp("analyze_code", {"path": "app.js"})).structured_content["result"]
        assert result["language"] == "javascript"
        assert (result["line_metrics"]["comment_lines"], result["line_metrics"]["code_lines"]) == (1, 1)


class TestMonitorPerformance:
    async def test_system_samples_cover_cpu_memory_io_load_and_top_processes(self, client: Client) -> None:
        """A short window returns samples, summaries, load and the top processes, largest first."""
        result = await client.call_tool_mcp("monitor_performance", {"duration_s": 0.3, "interval_s": 0.1, "top": 50})
        report = result.structured_content["result"]
        assert report["scope"] == "system"
        assert len(report["samples"]) == 3
        sample = report["samples"][-1]
        assert 0 <= sample["cpu_percent"] <= 100
        assert sample["memory_used_bytes"] > 0
        assert {"disk_read_bytes_per_s", "net_sent_bytes_per_s", "swap_percent"} <= set(sample)
        assert len(report["load_average"]) == 3
        assert report["summary"]["cpu_percent"]["max"] >= report["summary"]["cpu_percent"]["avg"]
        by_memory = [row["rss_bytes"] or 0 for row in report["top_processes"]["by_memory"]]
        assert 0 < len(by_memory) <= 50
        assert by_memory == sorted(by_memory, reverse=True)
        assert all(isinstance(row["pid"], int) for row in report["top_processes"]["by_cpu"])

    async def test_without_a_process_manager_a_process_id_is_not_found(self, client: Client) -> None:
        """Until the commands group runs, no process id exists: process_not_found."""
        result = await client.call_tool_mcp("monitor_performance", {"process_id": "abc", "duration_s": 0.1})
        assert result.structured_content["type"] == "process_not_found"
