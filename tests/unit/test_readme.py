"""The README's settings table is generated from Settings and is up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts" / "settings_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestReadme:
    def test_the_settings_table_matches_the_settings_object(self) -> None:
        """Run `scripts/settings_table.py --write` after changing a setting."""
        generator = _generator()
        text = (ROOT / "README.md").read_text()
        assert generator.render_readme(text) == text  # type: ignore[attr-defined]

    def test_the_two_commands_are_shown(self) -> None:
        """`make run` and `make test` are the README's set-up commands."""
        text = (ROOT / "README.md").read_text()
        assert "make run" in text and "make test" in text
