"""Line paging, line splitting and binary detection of read_file."""

from __future__ import annotations

import pytest

from mcp_server.filesystem.reading import decode_text, page, split_lines

LINES = tuple(f"line {n}\n" for n in range(1, 11))


class TestPage:
    def test_a_middle_page_reports_where_it_is_and_where_to_go_next(self) -> None:
        """offset 2, limit 3 returns lines 3-5 and next_offset 5 of 10."""
        result = page(LINES, 2, 3)
        assert result["content"] == "line 3\nline 4\nline 5\n"
        assert (result["offset"], result["start_line"], result["lines_returned"]) == (2, 3, 3)
        assert (result["total_lines"], result["next_offset"], result["truncated"]) == (10, 5, False)

    def test_the_last_page_has_no_next_offset(self) -> None:
        """Reading to the end gives next_offset None."""
        result = page(LINES, 8, 5)
        assert result["content"] == "line 9\nline 10\n"
        assert result["next_offset"] is None

    def test_a_negative_offset_counts_from_the_end(self) -> None:
        """offset -2 is the last two lines (a tail)."""
        assert page(LINES, -2, 100)["content"] == "line 9\nline 10\n"
        assert page(LINES, -50, 1)["offset"] == 0

    def test_an_offset_past_the_end_is_an_empty_page(self) -> None:
        """Paging beyond the file returns nothing rather than failing."""
        result = page(LINES, 500, 10)
        assert (result["content"], result["lines_returned"], result["next_offset"]) == ("", 0, None)

    def test_the_character_cap_stops_the_page_early(self) -> None:
        """A page stops before max_chars and says where to continue."""
        result = page(LINES, 0, 10, max_chars=15)
        assert result["content"] == "line 1\nline 2\n"
        assert result["truncated"] is True
        assert result["next_offset"] == 2

    def test_a_single_line_longer_than_the_cap_is_cut(self) -> None:
        """One huge line is returned cut, marked truncated, and paging moves past it."""
        result = page(("x" * 100 + "\n", "y\n"), 0, 10, max_chars=10)
        assert result["content"] == "x" * 10
        assert (result["truncated"], result["next_offset"]) == (True, 1)


class TestSplitLines:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", ()),
            ("a", ("a",)),
            ("a\n", ("a\n",)),
            ("a\r\nb", ("a\r\n", "b")),
            ("a\x0cb\u2028c\n", ("a\x0cb\u2028c\n",)),
            ("\n\n", ("\n", "\n")),
        ],
    )
    def test_only_newlines_split_and_line_ends_are_kept(self, text: str, expected: tuple[str, ...]) -> None:
        """Lines split on \\n only, keep their ends, and join back to the original text."""
        assert split_lines(text) == expected
        assert "".join(split_lines(text)) == text


class TestDecodeText:
    @pytest.mark.parametrize("data", [b"abc\x00def", b"\xff\xfe\x00\x00", b"caf\xe9"])
    def test_nul_bytes_or_invalid_utf8_mean_binary(self, data: bytes) -> None:
        """Binary (NUL near the start) and non-UTF-8 bytes are not text."""
        assert decode_text(data) is None

    def test_utf8_text_is_decoded(self) -> None:
        """Multi-byte UTF-8 decodes."""
        assert decode_text("héllo ✓".encode()) == "héllo ✓"
