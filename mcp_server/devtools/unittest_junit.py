"""Run unittest discovery and write a JUnit XML report; stdlib only.

run_tests executes this file by path (`python unittest_junit.py --junit-xml F --start D`)
rather than importing it, so it works in any interpreter, with or without our packages.
unittest has no JUnit output of its own; `unittest-xml-reporting` would have to be installed
in the tested project's interpreter, hence these few lines.
"""

from __future__ import annotations

import argparse
import sys
import time
import unittest
import xml.etree.ElementTree as ElementTree
from typing import Any


class JUnitResult(unittest.TextTestResult):
    """A text result that also remembers each test's outcome for the XML report."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases: list[tuple[str, float, str | None, str, str]] = []
        self._started = time.perf_counter()

    def startTest(self, test: unittest.TestCase) -> None:  # noqa: N802 (unittest's API)
        self._started = time.perf_counter()
        super().startTest(test)

    def _case(self, test: Any, kind: str | None, message: str = "", details: str = "") -> None:
        self.cases.append((test.id(), time.perf_counter() - self._started, kind, message, details))

    def _failed(self, test: Any, err: Any, kind: str) -> None:
        message = f"{err[0].__name__}: {err[1]}".splitlines()[0] if err[1] is not None else err[0].__name__
        self._case(test, kind, message, self._exc_info_to_string(err, test))

    def addSuccess(self, test: unittest.TestCase) -> None:  # noqa: N802
        super().addSuccess(test)
        self._case(test, None)

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:  # noqa: N802
        super().addFailure(test, err)
        self._failed(test, err, "failure")

    def addError(self, test: unittest.TestCase, err: Any) -> None:  # noqa: N802
        super().addError(test, err)
        self._failed(test, err, "error")

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:  # noqa: N802
        super().addSkip(test, reason)
        self._case(test, "skipped", reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:  # noqa: N802
        super().addExpectedFailure(test, err)
        self._case(test, None)

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:  # noqa: N802
        super().addUnexpectedSuccess(test)
        self._case(test, "failure", "unexpected success")

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:  # noqa: N802
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "failure" if issubclass(err[0], test.failureException) else "error"
            self._failed(subtest, err, kind)


def write_report(result: JUnitResult, path: str, duration: float) -> None:
    """The JUnit XML file for `result` (one suite)."""
    kinds = [case[2] for case in result.cases]
    suite = ElementTree.Element(
        "testsuite",
        name="unittest",
        tests=str(len(kinds)),
        failures=str(kinds.count("failure")),
        errors=str(kinds.count("error")),
        skipped=str(kinds.count("skipped")),
        time=f"{duration:.3f}",
    )
    for test_id, seconds, kind, message, details in result.cases:
        classname, _, name = test_id.rpartition(".")
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")
        if kind is not None:
            ElementTree.SubElement(case, kind, message=message).text = details
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def main(argv: list[str] | None = None) -> int:
    """Discover, run, report; exit 0 when every test passed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--junit-xml", required=True)
    parser.add_argument("--start", required=True, help="discovery start directory")
    parser.add_argument("--pattern", default="test*.py")
    parser.add_argument("-k", dest="keyword", default=None, help="only test names matching this substring")
    options = parser.parse_args(argv)
    loader = unittest.TestLoader()
    if options.keyword:
        loader.testNamePatterns = [f"*{options.keyword}*"]
    sys.path.insert(0, options.start)
    suite = loader.discover(options.start, pattern=options.pattern, top_level_dir=options.start)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=JUnitResult)
    started = time.perf_counter()
    result = runner.run(suite)
    write_report(result, options.junit_xml, time.perf_counter() - started)  # type: ignore[arg-type]
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
