"""The pure command policy: near-miss tables grouped by threat, allowlist mode, totality."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_server.security.commands import CommandPolicy, check_command, check_program_text
from tests.helpers.bypass_corpus import ATTEMPTS, render

BLOCK_TOUCH = CommandPolicy.from_lists(default_blocklist=True, blocked=["touch"])
ALLOW_FEW = CommandPolicy.from_lists(
    default_blocklist=True,
    allowed=["ls", "cat", "grep", "git", "awk", "sed", "env", "sh", "xargs", "find", "wc"],
)


def allowed(
    command: str | list[str], policy: CommandPolicy = BLOCK_TOUCH, **kwargs: object
) -> bool:
    return check_command(command, policy, **kwargs).allowed  # type: ignore[arg-type]


class TestBypassCorpus:
    @pytest.mark.parametrize("attempt", ATTEMPTS, ids=[a.id for a in ATTEMPTS])
    def test_every_corpus_attempt_is_refused(self, attempt: object) -> None:
        """Each attempt of the shared corpus is refused by the pure policy."""
        command, stdin = render(attempt, "/tmp/marker", "/tmp")  # type: ignore[arg-type]
        decision = check_command(
            command, BLOCK_TOUCH, stdin="data" if stdin else "none", stdin_data=stdin
        )
        assert not decision.allowed, command
        assert decision.reason


class TestNearMisses:
    @pytest.mark.parametrize(
        "command",
        [
            "echo touch",  # a blocked name as an argument of a non-interpreter
            "grep -rn touch src",
            "ls touchy",
            "touchy file",  # another program whose name starts like a blocked one
            "echo 'touch'",
            "echo $((1 + 2))",
            "cat <<'EOF' > notes.txt\nplain text\nEOF",
            "cat <<EOF\nhome is $HOME\nEOF",
            'echo "a $HOME b" ~/x',
            "ls -la | grep -v foo | wc -l",
            "cd src && make test || echo failed",
            "FOO=1 BAR=2 env | sort",
            "env -i PATH=/usr/bin ls",
            "timeout 5 ls",
            "nice -n 10 ls",
            "sh -c 'ls -la'",
            "bash -c 'for f in *.py; do wc -l \"$f\"; done'",
            "find . -name '*.py' -exec grep -l foo {} +",
            "find . -type f | xargs wc -l",
            "xargs -0 grep foo",
            "git log --oneline -5",
            "git -c user.name=x commit -m msg",
            "tar -xzf archive.tgz -C out",
            "python3 -c 'print(1)'",
            "python3 script.py",
            "PYTHONPATH=src python -m pytest -q",
            "awk '{print $1}' file",
            "sed -i 's/a/b/' file",
            "[ -f x ] && echo yes",
            "exec 3>&1",
            "true",
        ],
    )
    def test_commands_that_only_look_dangerous_are_allowed(self, command: str) -> None:
        """Arguments, similar names and ordinary shell syntax do not trip the blocklist."""
        decision = check_command(command, BLOCK_TOUCH)
        assert decision.allowed, decision.reason

    @pytest.mark.parametrize(
        ("command", "fragment"),
        [
            ("sudo ls", "privilege escalation"),
            ("/sbin/shutdown -h now", "powers the machine off"),
            ("SUDO ls", "privilege escalation"),
            ("mkfs.ext4 /dev/sda1", "creates a filesystem"),
            ("docker run --rm -v /:/h alpine", "root-equivalent"),
        ],
    )
    def test_the_default_blocklist_refuses_with_its_reason(
        self, command: str, fragment: str
    ) -> None:
        """A default entry's one-line reason is part of the refusal."""
        decision = check_command(command, BLOCK_TOUCH)
        assert not decision.allowed
        assert fragment in decision.reason


class TestWrappersAreLookedThroughOrRefused:
    @pytest.mark.parametrize(
        "command",
        [
            "timeout --bogus 5 touch x",  # an option we do not know could hide the command
            "timeout --pres 5 ls",  # GNU abbreviations are not guessed either
            "env --unknown touch x",
            "xargs env",  # xargs would supply the command env runs
            "printf x | xargs nice",
            "find . -exec {} \\;",  # the found file would be executed
            "xargs -I{} {} arg",
            "strace ls",  # a wrapper the policy does not model
            "flock /tmp/l -c 'touch x'",
            "watch touch x",
            "tar cIf 'touch x' out.tar .",
            "tar -I 'touch x' -cf out.tar .",
            "rsync -e 'touch x' a b",
            "ssh -o ProxyCommand='touch x' host",
            "git config alias.x '!touch x'",
            "git --config-env=core.pager=X log",
            "source <(echo ls)",
            "bash <(echo ls)",
            "mapfile -C 'touch x' lines",
            "export EDITOR='touch x'",
        ],
    )
    def test_wrapped_or_opaque_commands_are_refused(self, command: str) -> None:
        """What a wrapper runs is checked; a wrapper that cannot be looked through is refused."""
        assert not allowed(command)

    @pytest.mark.parametrize(
        "env",
        [
            {"BASH_ENV": "/tmp/x.sh"},
            {"SHELLOPTS": "xtrace", "PS4": "x"},
            {"LD_PRELOAD": "/tmp/x.so"},
            {"GIT_PAGER": "touch x"},
            {"BASH_FUNC_ls%%": "() { touch x; }"},
        ],
    )
    def test_the_calls_environment_cannot_smuggle_commands(self, env: dict[str, str]) -> None:
        """Variables that change how shells start, or that hold commands, are checked."""
        assert not allowed("ls", env=env)

    def test_a_harmless_environment_is_allowed(self) -> None:
        """Ordinary variables pass."""
        assert allowed("ls", env={"FOO": "bar", "PAGER": "less"})


class TestFailsClosed:
    @pytest.mark.parametrize(
        "command",
        [
            "echo 'unterminated",
            "echo hi;;",
            "case x in x) ls;; esac",  # bashlex cannot parse case
            "[[ -n x ]]",
            "time ls",
            "((x = 1))",
            "let x=1",
            "echo $((x + 1))",
            "echo $[1 + 2]",
            "echo '$(ls)'",  # substitution syntax in quotes that something may evaluate later
            "x='$'\"(ls)\"; echo",  # ... also when quoting assembles it
            "ls\x00rm",
        ],
    )
    def test_what_cannot_be_checked_is_refused(self, command: str) -> None:
        """Unparseable or opaque text is a refusal, never an exception."""
        decision = check_command(command, BLOCK_TOUCH)
        assert not decision.allowed
        assert decision.reason

    def test_deep_nesting_is_refused(self) -> None:
        """Payloads nested beyond the depth limit are refused."""
        command = "ls"
        for _ in range(12):
            command = f"sh -c {command!r}"
        assert not allowed(command)

    def test_an_overlong_command_is_refused(self) -> None:
        """Text beyond the length limit is refused without parsing."""
        assert not allowed("echo " + "a" * 70_000)

    @pytest.mark.parametrize("bad", [None, 42, [], [""], [1, 2], {"x": 1}])
    def test_wrong_types_are_refused_not_raised(self, bad: object) -> None:
        """The policy is total."""
        decision = check_command(bad, BLOCK_TOUCH)  # type: ignore[arg-type]
        assert not decision.allowed

    @settings(max_examples=150, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list("ab $(){}`'\"\\;|&<>\n*?[]=!#~-")), max_size=40))
    def test_arbitrary_text_never_raises(self, text: str) -> None:
        """Any text gets a decision."""
        decision = check_command(text, BLOCK_TOUCH)
        assert isinstance(decision.allowed, bool)


class TestAllowlistMode:
    @pytest.mark.parametrize(
        "command",
        [
            "ls -la",
            "cd src && ls | grep x",
            "awk '{print $1}' f",
            "sed 's/a/b/' f",
            "find . -exec wc -l {} +",
        ],
    )
    def test_listed_programs_and_safe_builtins_run(self, command: str) -> None:
        """Allowed programs, and builtins like cd, need no listing."""
        assert allowed(command, ALLOW_FEW)

    @pytest.mark.parametrize(
        "command",
        [
            "python3 -c 1",
            "ls $(whoami)",
            "env touch x",
            "sh -c 'ls; id'",
            "find . -exec rm {} \\;",
            "awk 'BEGIN{system(\"id\")}'",
            "sed 's/a/id/e' f",
            "git -c core.pager=id log",
            "/usr/bin/l? -la",
        ],
    )
    def test_anything_unlisted_anywhere_is_refused(self, command: str) -> None:
        """Every command word, also wrapped or embedded, must be on the allowlist."""
        assert not allowed(command, ALLOW_FEW)

    def test_an_explicitly_allowed_name_beats_the_default_blocklist(self) -> None:
        """Allowlist mode uses the allowlist alone: the operator's explicit choice wins."""
        policy = CommandPolicy.from_lists(default_blocklist=True, allowed=["sudo"])
        assert check_command("sudo -n id", policy).allowed
        assert not check_command("sudo -n id; id", policy).allowed


class TestPolicyLists:
    def test_an_empty_policy_allows_everything_without_parsing(self) -> None:
        """MCP_SERVER_DEFAULT_BLOCKLIST=false and no lists: nothing is restricted."""
        policy = CommandPolicy.from_lists(default_blocklist=False)
        assert not policy.active
        assert check_command("case x in *) sudo ls;; esac", policy).allowed

    def test_extra_blocked_names_add_to_the_default_list(self) -> None:
        """MCP_SERVER_BLOCKED_COMMANDS adds; the defaults stay."""
        assert not allowed("touch x") and not allowed("sudo ls")

    def test_names_are_compared_case_insensitively(self) -> None:
        """`TOUCH` is `touch`."""
        assert not allowed("TOUCH x")

    def test_programs_lists_every_command_word(self) -> None:
        """The decision names the programs it saw (for telemetry)."""
        decision = check_command("cd x && ls | wc -l", BLOCK_TOUCH)
        assert decision.programs == ("cd", "ls", "wc")


class TestInterpreterInput:
    def test_input_naming_a_blocked_program_is_refused(self) -> None:
        """Text written to an interpreter's stdin is scanned like inline code."""
        assert not check_program_text("import os; os.system('touch x')\n", BLOCK_TOUCH).allowed
        assert check_program_text("print(1 + 1)\n", BLOCK_TOUCH).allowed

    def test_an_interactive_shell_is_refused_while_a_policy_is_active(self) -> None:
        """What a shell would read later from start_process input cannot be checked."""
        assert not check_command("bash", BLOCK_TOUCH, stdin="interactive").allowed
        decision = check_command("python3 -i", BLOCK_TOUCH, stdin="interactive")
        assert decision.allowed and decision.stdin_is_code
