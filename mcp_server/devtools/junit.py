"""Read a JUnit XML report (pytest's `--junitxml`, or our unittest runner) into counts and failures.

The report is written by the code under test, so it is treated as untrusted: its size is
bounded before parsing, the parser is expat (2.4+ refuses entity-expansion bombs), and every
message is cut to a few kilobytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_REPORT_BYTES = 16 * 1_048_576
MAX_FAILURES = 50
MAX_MESSAGE_CHARS = 1000
MAX_DETAILS_CHARS = 4000


@dataclass
class JUnitReport:
    """Totals of a run and its failing tests."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    duration_s: float = 0.0
    failing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    def counts(self) -> dict[str, int]:
        """Counts as run_tests returns them."""
        return {
            "tests": self.tests,
            "passed": self.passed,
            "failed": self.failures,
            "errors": self.errors,
            "skipped": self.skipped,
        }


def _cut(text: str | None, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


def _outcome(case: ElementTree.Element) -> tuple[str, ElementTree.Element] | None:
    for kind in ("failure", "error", "skipped"):
        element = case.find(kind)
        if element is not None:
            return kind, element
    return None


def _record(report: JUnitReport, case: ElementTree.Element) -> None:
    report.tests += 1
    outcome = _outcome(case)
    if outcome is None:
        return
    kind, element = outcome
    if kind == "skipped":
        report.skipped += 1
        return
    if kind == "failure":
        report.failures += 1
    else:
        report.errors += 1
    if len(report.failing) < MAX_FAILURES:
        classname = case.get("classname", "")
        report.failing.append(
            {
                "test": f"{classname}::{case.get('name', '')}" if classname else case.get("name", ""),
                "kind": kind,
                "message": _cut(element.get("message"), MAX_MESSAGE_CHARS),
                "details": _cut(element.text, MAX_DETAILS_CHARS),
            }
        )


def parse_junit(path: Path) -> JUnitReport | None:
    """The report at `path`, or None when it is missing, too large or not JUnit XML.

    Counts come from the test cases themselves rather than the suites' attributes, which
    runners fill inconsistently.
    """
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    report = JUnitReport()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        try:
            report.duration_s += float(suite.get("time", "0") or 0)
        except ValueError:
            pass  # a malformed time attribute is ignored, not fatal
        for case in suite.iter("testcase"):
            _record(report, case)
    report.duration_s = round(report.duration_s, 3)
    return report
