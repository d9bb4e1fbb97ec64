"""edit_file's search/replace: exact counts, all-or-nothing, and the unified diff."""

from __future__ import annotations

import pytest

from mcp_server.errors import InvalidArgumentsError
from mcp_server.filesystem.editing import MAX_DIFF_CHARS, Edit, apply_edits, unified_diff


class TestApplyEdits:
    def test_edits_apply_in_order_on_the_previous_result(self) -> None:
        """The second edit sees the text the first one produced."""
        text, count = apply_edits("alpha beta", [Edit("alpha", "gamma"), Edit("gamma beta", "done")])
        assert (text, count) == ("done", 2)

    def test_expected_count_replaces_every_occurrence(self) -> None:
        """expected_count=3 with three occurrences replaces all three."""
        assert apply_edits("x x x", [Edit("x", "y", 3)]) == ("y y y", 3)

    @pytest.mark.parametrize(("text", "found"), [("a b", 0), ("x x", 2)])
    def test_a_count_mismatch_names_what_was_found(self, text: str, found: int) -> None:
        """Finding 0 or 2 occurrences when 1 is expected is an error that says how many."""
        with pytest.raises(InvalidArgumentsError, match=f"occurs {found} time"):
            apply_edits(text, [Edit("x", "y")])

    def test_a_failing_later_edit_means_nothing_is_applied(self) -> None:
        """Edits are all or nothing: the caller gets an error, not a half-edited text."""
        with pytest.raises(InvalidArgumentsError, match="edit 2"):
            apply_edits("one two", [Edit("one", "1"), Edit("three", "3")])

    def test_an_empty_old_text_is_refused(self) -> None:
        """An empty search string would match everywhere."""
        with pytest.raises(InvalidArgumentsError, match="must not be empty"):
            apply_edits("abc", [Edit("", "x")])


class TestUnifiedDiff:
    def test_the_diff_has_git_style_headers_and_hunks(self) -> None:
        """a/ and b/ file headers, a hunk header, and -/+ lines for the change."""
        diff, cut = unified_diff("one\ntwo\nthree\n", "one\n2\nthree\n", "f.txt")
        assert diff.splitlines() == ["--- a/f.txt", "+++ b/f.txt", "@@ -1,3 +1,3 @@", " one", "-two", "+2", " three"]
        assert cut is False

    def test_a_missing_final_newline_is_marked(self) -> None:
        """Like git, a last line without newline is flagged."""
        diff, _cut = unified_diff("a", "b", "f")
        assert "\\ No newline at end of file" in diff

    def test_a_huge_diff_is_cut_with_a_marker(self) -> None:
        """Diffs longer than the cap end with a marker and report being cut."""
        before = "".join(f"{n}\n" for n in range(50_000))
        diff, cut = unified_diff(before, before.replace("\n", " changed\n"), "big")
        assert cut is True
        assert len(diff) <= MAX_DIFF_CHARS + 100
        assert diff.endswith("characters\n")
