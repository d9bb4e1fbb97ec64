"""Reading JUnit XML reports, including hostile ones written by the code under test."""

from __future__ import annotations

from pathlib import Path

from mcp_server.devtools.junit import MAX_FAILURES, MAX_MESSAGE_CHARS, parse_junit

PYTEST_REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.25">
<testcase classname="test_mod" name="test_ok" time="0.001"/>
<testcase classname="test_mod" name="test_bad" time="0.002"><failure message="assert 1 == 2">def test_bad():
&gt;   assert 1 == 2
E   assert 1 == 2</failure></testcase>
<testcase classname="test_mod" name="test_err" time="0.001"><error message="failed on setup with &quot;RuntimeError: boom&quot;">trace</error></testcase>
<testcase classname="test_mod" name="test_skip" time="0"><skipped type="pytest.skip" message="later">skip</skipped></testcase>
</testsuite></testsuites>"""


class TestParseJUnit:
    def test_counts_and_failures_of_a_pytest_report(self, tmp_path: Path) -> None:
        """Counts come from the test cases; failures keep test id, kind, message and details."""
        report_path = tmp_path / "r.xml"
        report_path.write_text(PYTEST_REPORT)
        report = parse_junit(report_path)
        assert report is not None
        assert report.counts() == {"tests": 4, "passed": 1, "failed": 1, "errors": 1, "skipped": 1}
        assert report.duration_s == 0.25
        assert report.failing[0] == {
            "test": "test_mod::test_bad",
            "kind": "failure",
            "message": "assert 1 == 2",
            "details": "def test_bad():\n>   assert 1 == 2\nE   assert 1 == 2",
        }
        assert report.failing[1]["kind"] == "error"
        assert "RuntimeError: boom" in report.failing[1]["message"]

    def test_missing_or_malformed_reports_are_none(self, tmp_path: Path) -> None:
        """No file, or not XML, gives None (the run is still reported by exit code and output)."""
        assert parse_junit(tmp_path / "absent.xml") is None
        broken = tmp_path / "broken.xml"
        broken.write_text("<testsuite><testcase")
        assert parse_junit(broken) is None

    def test_an_entity_expansion_bomb_is_refused(self, tmp_path: Path) -> None:
        """A billion-laughs report written by hostile test code does not expand."""
        entities = '<!ENTITY a0 "lol">' + "".join(
            f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10)
        )
        bomb = tmp_path / "bomb.xml"
        bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE t [{entities}]><testsuite><testcase name="&a9;"/></testsuite>')
        assert parse_junit(bomb) is None

    def test_messages_and_the_failure_list_are_bounded(self, tmp_path: Path) -> None:
        """Huge messages are cut and at most MAX_FAILURES failures are listed (all are counted)."""
        cases = "".join(
            f'<testcase classname="c" name="t{n}"><failure message="{"x" * 5000}">d</failure></testcase>'
            for n in range(MAX_FAILURES + 10)
        )
        report_path = tmp_path / "many.xml"
        report_path.write_text(f"<testsuite>{cases}</testsuite>")
        report = parse_junit(report_path)
        assert report is not None
        assert report.failures == MAX_FAILURES + 10
        assert len(report.failing) == MAX_FAILURES
        assert len(report.failing[0]["message"]) < MAX_MESSAGE_CHARS + 40
