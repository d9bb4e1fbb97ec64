"""The progress display: redrawn in place on a TTY, plain status lines otherwise."""

from __future__ import annotations

import io

from loadtest.progress import Progress
from loadtest.runner import Stats


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stats() -> Stats:
    stats = Stats()
    for latency, error in ((0.002, None), (0.004, None), (0.010, "invalid_arguments")):
        stats.record("calculate", latency, error)
    return stats


class TestProgress:
    def test_a_terminal_gets_the_line_redrawn_in_place(self) -> None:
        """On a TTY each update starts with a carriage return and clears the line; the last ends it."""
        stream = _Terminal()
        progress = Progress(stream)
        progress.show(progress.line("measure", _stats(), 6, None))
        progress.show(progress.line("measure", _stats(), 6, None), final=True)
        text = stream.getvalue()
        assert text.startswith("\r\x1b[2K") and text.count("\r") == 2 and text.endswith("\n")
        assert "50%" in text and "3 calls" in text and "errors 1" in text

    def test_a_pipe_gets_one_plain_line_per_update_every_five_seconds(self) -> None:
        """Not a TTY: no control characters, one line per update, a slower default interval."""
        stream = io.StringIO()
        progress = Progress(stream)
        progress.show(progress.line("warmup", _stats(), None, 10.0))
        assert progress.interval_s == 5.0
        assert "\r" not in stream.getvalue() and stream.getvalue().count("\n") == 1

    def test_quiet_shows_nothing(self) -> None:
        """--quiet: the display writes nothing at all."""
        stream = _Terminal()
        progress = Progress(stream, enabled=False)
        progress.show(progress.line("measure", _stats(), 6, None), final=True)
        assert stream.getvalue() == ""
