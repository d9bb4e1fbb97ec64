"""`--mix` and `--args` parsing, scenario building, and the schema check against the server's list."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from loadtest.mix import (
    DEFAULT_MIX,
    MixError,
    Scenario,
    build_scenarios,
    parse_arguments,
    parse_mix,
    schema_problem,
)


class TestParseMix:
    def test_weights_are_parsed_in_order(self) -> None:
        """`a=5,b#x=2,c` gives ordered weights; a bare name weighs 1."""
        assert list(parse_mix("calculate=5, calculate#invalid=2,health_check").items()) == [
            ("calculate", 5),
            ("calculate#invalid", 2),
            ("health_check", 1),
        ]

    def test_default_mix_parses_and_has_default_arguments_for_every_entry(self) -> None:
        """Every entry of the default mix has default arguments."""
        scenarios = build_scenarios(parse_mix(DEFAULT_MIX), {})
        assert {s.tool for s in scenarios} >= {"calculate", "read_file", "execute_command"}
        assert all(s.arguments or s.tool in ("system_info", "health_check") for s in scenarios)

    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("", "empty"),
            (" , ,", "empty"),
            ("calculate=x", "whole number"),
            ("calculate=0", "between 1"),
            ("calculate=-3", "between 1"),
            ("calculate=10000001", "between 1"),
            ("calculate=1.5", "whole number"),
            ("a b=1", "TOOL=WEIGHT"),
            ("calc#=1", "TOOL=WEIGHT"),
            ("../etc=1", "TOOL=WEIGHT"),
            ("x" * 200 + "=1", "TOOL=WEIGHT"),
            ("calculate=1,calculate=2", "twice"),
        ],
    )
    def test_bad_mix_is_refused_with_a_reason(self, text: str, fragment: str) -> None:
        """A malformed mix raises MixError whose message says what is wrong."""
        with pytest.raises(MixError, match=fragment):
            parse_mix(text)


class TestArguments:
    def test_args_override_defaults(self) -> None:
        """`--args calculate={...}` replaces the default arguments of that entry only."""
        scenarios = build_scenarios(
            parse_mix("calculate=1,calculate#invalid=1"),
            parse_arguments(['calculate={"expression": "1"}']),
        )
        assert scenarios[0].arguments == {"expression": "1"}
        assert scenarios[1].arguments == {"expression": "1 +"}

    @pytest.mark.parametrize(
        ("value", "fragment"),
        [
            ("calculate", "NAME="),
            ("calculate={", "not valid JSON"),
            ("calculate=[1]", "JSON object"),
            ("=1", "NAME="),
        ],
    )
    def test_bad_args_are_refused(self, value: str, fragment: str) -> None:
        """Unparseable `--args` raise MixError naming the problem."""
        with pytest.raises(MixError, match=fragment):
            parse_arguments([value])

    def test_args_for_an_entry_not_in_the_mix_is_a_typo(self) -> None:
        """`--args` naming no mix entry is refused."""
        with pytest.raises(MixError, match="does not name"):
            build_scenarios(parse_mix("calculate=1"), {"calculat": {}})

    def test_placeholders_are_bound_everywhere(self) -> None:
        """`{root}` and `{sample}` are replaced in nested strings and lists."""
        scenario = Scenario("x", "x", 1, {"path": "{sample}", "argv": ["ls", "{root}/a"], "n": 3})
        assert scenario.placeholders() == {"{root}", "{sample}"}
        bound = scenario.bind({"{root}": "/r", "{sample}": "/r/s.txt"})
        assert bound.arguments == {"path": "/r/s.txt", "argv": ["ls", "/r/a"], "n": 3}


class TestSchemaProblem:
    SCHEMA: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"path": {}, "limit": {}},
        "required": ["path"],
        "additionalProperties": False,
    }

    def test_missing_required_argument_is_named(self) -> None:
        """Arguments without a required parameter are reported."""
        assert "path" in (schema_problem(Scenario("r", "r", 1, {}), self.SCHEMA) or "")

    def test_unknown_argument_is_named_when_the_schema_is_closed(self) -> None:
        """With additionalProperties false, unknown names are reported."""
        problem = schema_problem(Scenario("r", "r", 1, {"path": "p", "bogus": 1}), self.SCHEMA)
        assert problem is not None and "bogus" in problem

    def test_fitting_arguments_pass(self) -> None:
        """Arguments that name only known parameters, with all required ones, pass."""
        assert schema_problem(Scenario("r", "r", 1, {"path": "p", "limit": 2}), self.SCHEMA) is None
