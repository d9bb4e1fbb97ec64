"""The command policy (SPEC section 8): a pure, total check of a shell string or an argv.

Shell strings are parsed with bashlex, not split: every command word in pipelines, lists,
subshells, functions, `$()`, backticks, process substitution, here-strings and newlines is
checked after quote removal, path stripping and `VAR=` prefixes. Wrappers (`env`, `xargs`,
`timeout`, `sh -c`, `find -exec`, `busybox`, ...) are looked through (see `wrappers.py` and
`programs.py`); a command word built by an expansion, or a glob that could match a blocked
name, is refused; what the parser cannot understand is refused. After the walk, every `$(`,
backtick, `<(` and `>(` in the text must belong to a substitution the walk checked (or to a
payload checked recursively): text bash would evaluate that bashlex left opaque — inside a
`${x:-...}` default, a here-document, quotes later fed to eval — is refused.

This is a guardrail, not the boundary: a program can always be copied under another name or
driven from a script file. The sandbox (`mcp_server.execution.sandbox`) is the boundary.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import bashlex

from mcp_server.security import programs
from mcp_server.security.blocklist import (
    DEFAULT_BLOCKLIST,
    OPAQUE_WRAPPERS,
    REFUSED_BUILTINS,
    SAFE_BUILTINS,
)
from mcp_server.security.shell_text import MARKERS, ParsedText, prepare
from mcp_server.security.shell_text import Refusal as _Refused
from mcp_server.security.wrappers import WRAPPERS, Unwrapped, Word, unwrap_find, unwrap_wrapper

MAX_COMMAND_CHARS = 65_536
MAX_DEPTH = 8
_EXPANSIONS = frozenset({"parameter", "commandsubstitution", "processsubstitution"})
_CODE_TOKEN = re.compile(r"[A-Za-z0-9_.+-]+")

StdinKind = Literal["none", "data", "interactive"]


@dataclass(frozen=True)
class CommandPolicy:
    """What may run: a blocklist (name -> reason), or an allowlist when `allowed` is set."""

    blocked: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    allowed: frozenset[str] | None = None

    @classmethod
    def from_lists(
        cls,
        *,
        default_blocklist: bool,
        blocked: Iterable[str] = (),
        allowed: Iterable[str] | None = None,
    ) -> CommandPolicy:
        """Build the policy the settings describe (lists are compared case-insensitively)."""
        names = dict(DEFAULT_BLOCKLIST) if default_blocklist else {}
        names.update({name.lower(): "blocked by MCP_SERVER_BLOCKED_COMMANDS" for name in blocked})
        allow = None if allowed is None else frozenset(name.lower() for name in allowed)
        return cls(
            blocked=MappingProxyType({k.lower(): v for k, v in names.items()}), allowed=allow
        )

    @property
    def active(self) -> bool:
        """Whether anything is restricted at all (an empty blocklist and no allowlist is not)."""
        return bool(self.blocked) or self.allowed is not None


@dataclass(frozen=True)
class PolicyDecision:
    """The verdict. `programs` lists every command name seen; `reason` says why not."""

    allowed: bool
    reason: str = ""
    program: str | None = None
    programs: tuple[str, ...] = ()
    stdin_is_code: bool = False  # the top-level stdin feeds an interpreter (scan later input)


@dataclass
class _Stdin:
    """Where a command's standard input comes from, as far as the policy needs to know."""

    kind: Literal["none", "data", "interactive", "pipe", "file", "text"]
    words: tuple[Word, ...] = ()


def _children(node: Any) -> list[Any]:
    found: list[Any] = []
    for attribute in ("parts", "list"):
        found.extend(getattr(node, attribute, None) or [])
    for attribute in ("command", "output"):
        child = getattr(node, attribute, None)
        if child is not None and hasattr(child, "kind"):
            found.append(child)
    return found


class _Checker:
    """Walks commands and raises `_Refused` at the first violation."""

    def __init__(self, policy: CommandPolicy) -> None:
        self.policy = policy
        self.programs: list[str] = []
        self.stdin_is_code = False

    # --- shell text -------------------------------------------------------------------
    def shell(self, text: str, depth: int, stdin: _Stdin) -> None:
        if depth > MAX_DEPTH:
            raise _Refused(f"commands nest more than {MAX_DEPTH} levels deep")
        if len(text) > MAX_COMMAND_CHARS:
            raise _Refused(f"the command is longer than {MAX_COMMAND_CHARS} characters")
        if "\x00" in text:
            raise _Refused("the command contains a NUL byte")
        prepared = prepare(text)
        try:
            trees = bashlex.parse(prepared)
        # bashlex is a boundary that raises many types (ParsingError, NotImplementedError,
        # AssertionError, IndexError, RecursionError...) on input it cannot handle: fail closed.
        except Exception as exc:  # noqa: BLE001
            detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            reason = (
                f"the shell syntax could not be parsed ({detail}); case, [[ ]], select, coproc, time and "
                "arrays are not supported by the policy parser"
            )
            raise _Refused(reason) from None
        level = ParsedText(prepared)
        for tree in trees:
            self.node(tree, level, depth, stdin)
        level.account()

    def node(self, node: Any, level: ParsedText, depth: int, stdin: _Stdin) -> None:
        kind = node.kind
        if kind == "command":
            self.simple_command(node, level, depth, stdin)
        elif kind == "pipeline":
            self.pipeline(node, level, depth, stdin)
        elif kind in ("commandsubstitution", "processsubstitution"):
            # A substitution reads the enclosing shell's stdin: `echo $(sh)` runs what flows in.
            level.starts.update({node.pos[0], node.pos[1] - 1})
            self.node(node.command, level, depth, stdin)
        elif kind == "compound" and self._is_arithmetic_command(node):
            raise _Refused(
                "(( )) arithmetic commands are refused (bash evaluates variable contents as code)"
            )
        else:
            for child in _children(node):
                self.node(child, level, depth, stdin)

    @staticmethod
    def _is_arithmetic_command(node: Any) -> bool:
        parts = node.list or []
        return (
            len(parts) >= 2
            and parts[0].kind == "reservedword"
            and parts[0].word == "("
            and parts[1].kind == "compound"
            and parts[1].pos[0] == parts[0].pos[1]
        )

    def pipeline(self, node: Any, level: ParsedText, depth: int, stdin: _Stdin) -> None:
        feeders: list[Word] = []
        for index, part in enumerate(p for p in node.parts if p.kind != "pipe"):
            self.node(part, level, depth, stdin if index == 0 else _Stdin("pipe", tuple(feeders)))
            if part.kind == "command":
                feeders.extend(self.word(w, level) for w in part.parts if w.kind == "word")

    @staticmethod
    def word(node: Any, level: ParsedText) -> Word:
        """A parsed word; markers that quote removal created are remembered for `account`."""
        literal = not any(part.kind in _EXPANSIONS for part in node.parts or [])
        raw = level.text[node.pos[0] : node.pos[1]]
        if any(node.word.count(marker) > raw.count(marker) for marker in MARKERS):
            level.suspicious.append(node.pos)
        return Word(node.word, literal, (node.pos,))

    def simple_command(self, node: Any, level: ParsedText, depth: int, stdin: _Stdin) -> None:
        words: list[Word] = []
        own_stdin = stdin
        for part in node.parts:
            for child in _children(part):
                self.node(child, level, depth, stdin)
            if part.kind in ("word", "assignment"):
                word = self.word(part, level)
                if part.kind == "word":
                    words.append(word)
                else:
                    name, _, value = word.text.partition("=")
                    assignment = programs.check_assignment(
                        name, Word(value, word.literal, word.spans)
                    )
                    self.apply(assignment, level, depth, stdin)
            elif part.kind == "redirect":
                own_stdin = self.redirect(part, own_stdin)
        if words:
            self.argv(words, level, depth, own_stdin)

    @staticmethod
    def redirect(node: Any, stdin: _Stdin) -> _Stdin:
        if node.type == "<<<":
            output = node.output
            literal = not any(p.kind in _EXPANSIONS for p in output.parts or [])
            return _Stdin("text", (Word(output.word, literal, (output.pos,)),))
        if node.type in ("<<", "<<-") and node.heredoc is not None:
            body = node.heredoc.value.rsplit("\n", 1)[0] if "\n" in node.heredoc.value else ""
            literal = "$" not in body and "`" not in body
            return _Stdin("text", (Word(body, literal, (node.heredoc.pos,)),))
        if node.type == "<" and node.input in (None, 0):
            return _Stdin("file")
        return stdin

    # --- one command ------------------------------------------------------------------
    def argv(
        self,
        words: Sequence[Word],
        level: ParsedText | None,
        depth: int,
        stdin: _Stdin,
        **run_time: Any,
    ) -> None:
        """Check one argv.

        `run_time` says what find/xargs add when they run it: `open_ended` (xargs appends
        words) and `placeholder` (`{}` or `-I` text replaced by file names or input).
        """
        name = self.program_name(words[0])
        self.programs.append(name)
        self.check_name(name)
        lowered = name.lower()
        unwrapped = self.unwrap(lowered, words[1:])
        runs_nothing = not unwrapped.commands and not unwrapped.shell and unwrapped.refusal is None
        if (
            run_time.get("open_ended")
            and runs_nothing
            and (lowered in WRAPPERS or lowered in ("busybox", "toybox"))
        ):
            raise _Refused(f"{name} would run a command taken from xargs input", name)
        placeholder = run_time.get("placeholder")
        if placeholder and any(
            placeholder in word.text for word in (*unwrapped.shell, *unwrapped.code)
        ):
            raise _Refused(
                f"{name} would run code with file names or input spliced in for {placeholder!r}",
                name,
            )
        self.apply(unwrapped, level, depth, stdin, **run_time)

    def unwrap(self, name: str, rest: Sequence[Word]) -> Unwrapped:
        if name in WRAPPERS:
            return unwrap_wrapper(name, rest)
        if name in programs.SHELLS:
            return programs.unwrap_shell(rest)
        if name == "find":
            return unwrap_find(rest)
        if name == "git":
            return programs.unwrap_git(rest)
        if name == "tar":
            return programs.unwrap_tar(rest)
        if name in programs.PAYLOAD_BUILTINS:
            return programs.unwrap_builtin(name, rest)
        if programs.is_interpreter(name):
            return programs.unwrap_interpreter(name, rest, self.policy.allowed is not None)
        return programs.unwrap_options(name, rest)

    def program_name(self, word: Word) -> str:
        text = word.text
        if not word.literal:
            raise _Refused(
                f"the command name {text[:60]!r} is built by an expansion, so it cannot be checked"
            )
        if not text or "\x00" in text:
            raise _Refused("empty command name")
        if "{" in text and "}" in text:
            raise _Refused(f"the command name {text[:60]!r} uses brace expansion or a placeholder")
        name = text.rstrip("/").rsplit("/", 1)[-1]
        if not name:
            raise _Refused(f"the command name {text[:60]!r} is a directory")
        if name != "[" and any(char in name for char in "*?["):
            if self.policy.allowed is not None:
                raise _Refused(f"the command name {text[:60]!r} is a glob", name)
            matched = next(
                (b for b in self.policy.blocked if fnmatch.fnmatchcase(b, name.lower())), None
            )
            if matched is not None:
                raise _Refused(
                    f"the command name {text[:60]!r} is a glob that matches blocked {matched!r}",
                    matched,
                )
        return name

    def check_name(self, name: str) -> None:
        lowered = name.lower()
        if lowered in REFUSED_BUILTINS:
            raise _Refused(f"{name}: {REFUSED_BUILTINS[lowered]}", name)
        allowed = self.policy.allowed
        if allowed is not None:
            if lowered in allowed or lowered in SAFE_BUILTINS:
                return
            raise _Refused(f"{name!r} is not in the allowlist (MCP_SERVER_ALLOWED_COMMANDS)", name)
        if lowered in self.policy.blocked:
            raise _Refused(f"{name!r} is blocked: {self.policy.blocked[lowered]}", name)
        if lowered in OPAQUE_WRAPPERS and self.policy.active:
            raise _Refused(f"{name!r} {OPAQUE_WRAPPERS[lowered]}", name)

    def apply(
        self,
        unwrapped: Unwrapped,
        level: ParsedText | None,
        depth: int,
        stdin: _Stdin,
        **run_time: Any,
    ) -> None:
        """Check everything an unwrapped program runs (`run_time` as for `argv`)."""
        if unwrapped.refusal:
            raise _Refused(unwrapped.refusal)
        for word in unwrapped.assignments:
            name, _, value = word.text.partition("=")
            self.apply(
                programs.check_assignment(name, Word(value, word.literal, word.spans)),
                level,
                depth,
                stdin,
            )
        inherited = {
            "open_ended": run_time.get("open_ended") or unwrapped.appends_arguments,
            "placeholder": unwrapped.placeholder or run_time.get("placeholder"),
        }
        for argv in unwrapped.commands:
            if inherited["placeholder"] is not None and inherited["placeholder"] in argv[0].text:
                raise _Refused("the command name is a placeholder filled in at run time")
            self.argv(argv, level, depth + 1, stdin, **inherited)
        for payload in unwrapped.shell:
            self.payload(payload, level, depth, stdin)
        self.scan_code(unwrapped.code)
        if unwrapped.scans_stdin or unwrapped.reads_script_from_stdin:
            self.stdin_program(stdin, level, depth, is_shell=unwrapped.reads_script_from_stdin)

    def payload(self, word: Word, level: ParsedText | None, depth: int, stdin: _Stdin) -> None:
        """Shell code inside a word (`sh -c '...'`, `eval`, `GIT_PAGER=...`): checked recursively."""
        if not word.literal:
            raise _Refused("shell code built by an expansion cannot be checked")
        if level is not None:
            level.exempt.extend(word.spans)
        self.shell(word.text, depth + 1, stdin)

    def stdin_program(
        self, stdin: _Stdin, level: ParsedText | None, depth: int, *, is_shell: bool
    ) -> None:
        """A shell or interpreter may read its program from stdin: check what flows in."""
        if is_shell and stdin.kind in ("interactive", "pipe"):
            source = "interactive input" if stdin.kind == "interactive" else "a pipe"
            raise _Refused(
                f"a shell reading its commands from {source} cannot be checked; pass them with -c"
            )
        if stdin.kind == "interactive":
            self.stdin_is_code = True
        elif stdin.kind in ("text", "data") and is_shell:
            for word in stdin.words:
                self.payload(word, level if stdin.kind == "text" else None, depth, _Stdin("none"))
        elif stdin.kind in ("text", "data", "pipe"):
            self.scan_code(tuple(w for w in stdin.words if w.literal))

    def scan_code(self, words: Iterable[Word]) -> None:
        """Refuse program text of another language that names a blocked program."""
        if not self.policy.blocked or self.policy.allowed is not None:
            return
        for word in words:
            for token in _CODE_TOKEN.findall(word.text):
                lowered = token.lower()
                if lowered in self.policy.blocked:
                    raise _Refused(f"inline program text mentions blocked {token!r}", lowered)


def _decide(run: Any, policy: CommandPolicy) -> PolicyDecision:
    checker = _Checker(policy)
    try:
        run(checker)
    except _Refused as refused:
        return PolicyDecision(False, refused.reason, refused.program, tuple(checker.programs))
    except RecursionError:
        return PolicyDecision(
            False, "the command nests too deeply to be checked", None, tuple(checker.programs)
        )
    return PolicyDecision(True, "", None, tuple(checker.programs), checker.stdin_is_code)


def _top_stdin(kind: StdinKind, data: str | None) -> _Stdin:
    if kind == "data":
        return _Stdin("data", (Word(data or ""),))
    return _Stdin(kind)


def check_command(
    command: str | Sequence[str],
    policy: CommandPolicy,
    *,
    env: Mapping[str, str] | None = None,
    stdin: StdinKind = "none",
    stdin_data: str | None = None,
) -> PolicyDecision:
    """Decide whether a command may run. Total: any bad input is a refusal, never an exception.

    Args:
        command: shell text (run by bash) or an argv list (run without a shell).
        policy: the blocklist or allowlist.
        env: variables the call adds to the environment (some are refused, some are code).
        stdin: `none` (empty), `data` (`stdin_data` is fed), `interactive` (written later).
        stdin_data: the text fed to stdin when `stdin` is `data`.

    Returns:
        The decision; `reason` says what to change when it is a refusal.
    """
    if not policy.active:
        return PolicyDecision(True)
    top = _top_stdin(stdin, stdin_data)

    def run(checker: _Checker) -> None:
        for name, value in (env or {}).items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise _Refused("environment names and values must be strings")
            checker.apply(programs.check_assignment(name, Word(value)), None, 0, top)
        if isinstance(command, str):
            checker.shell(command, 0, top)
        elif (
            isinstance(command, Sequence)
            and command
            and all(isinstance(arg, str) for arg in command)
        ):
            if any("\x00" in arg for arg in command):
                raise _Refused("the command contains a NUL byte")
            checker.argv([Word(arg) for arg in command], None, 0, top)
        else:
            raise _Refused("the command must be a non-empty string or a list of strings")

    return _decide(run, policy)


def check_program_text(text: str, policy: CommandPolicy) -> PolicyDecision:
    """Input written to an interpreter's stdin (`send_process_input`): scanned for blocked names."""
    return _decide(lambda checker: checker.scan_code((Word(text),)), policy)
