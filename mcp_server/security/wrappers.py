"""How commands that run other commands are looked through: wrappers, shells, find, git, tar.

Pure and total, like the rest of `mcp_server.security`. Each `unwrap_*` function takes the
words after a program name and returns what that program will run: another argv, shell text
(checked recursively by the caller), inline code in another language (scanned for blocked
names), or a refusal. An option we do not know is a refusal: guessing whether it takes a value
would let `wrapper --unknown VALUE blocked` hide the blocked command behind a misparse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word after quote removal; `literal` is false when an expansion builds it."""

    text: str
    literal: bool = True
    spans: tuple[tuple[int, int], ...] = ()  # where the word sits in the text it was parsed from


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """What a program invocation runs besides itself."""

    commands: tuple[tuple[Word, ...], ...] = ()  # other argvs to check as commands
    shell: tuple[Word, ...] = ()  # words whose text is shell code
    code: tuple[Word, ...] = ()  # inline code of another language
    assignments: tuple[Word, ...] = ()  # NAME=VALUE words (env)
    reads_script_from_stdin: bool = False  # a shell whose program comes from stdin
    scans_stdin: bool = False  # an interpreter that may read program text from stdin
    appends_arguments: bool = False  # xargs: the command gets more words at run time
    placeholder: str | None = None  # xargs -I / find {}: a command word equal to it is refused
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """Options a program accepts, so that its operands can be found without guessing."""

    flags: frozenset[str] = frozenset()
    valued: frozenset[str] = frozenset()  # take the next word, or `--x=v`, or `-xv`
    optional: frozenset[str] = frozenset()  # value only when attached (`-i{}`, `--eof=x`)
    shell: frozenset[str] = frozenset()  # valued, and the value is shell code
    numeric_flags: bool = False  # `nice -10`

    def takes_value(self, option: str) -> bool:
        """Whether `option` consumes a value."""
        return option in self.valued or option in self.shell


@dataclass(slots=True)
class ParsedOptions:
    """The result of `parse_options`."""

    index: int = 0
    values: list[tuple[str, Word | None]] = field(default_factory=list)
    refusal: str | None = None


def _set(names: str) -> frozenset[str]:
    """A set of option names from one space-separated string (keeps the tables short)."""
    return frozenset(names.split())


def _parse_long(words: Sequence[Word], i: int, spec: OptionSpec, parsed: ParsedOptions) -> int:
    name, has_value, value = words[i].text.partition("=")
    if has_value and (spec.takes_value(name) or name in spec.optional):
        parsed.values.append((name, Word(value, words[i].literal, words[i].spans)))
        return i + 1
    if not has_value and spec.takes_value(name):
        if i + 1 >= len(words):
            parsed.refusal = f"option {name} needs a value"
            return i + 1
        parsed.values.append((name, words[i + 1]))
        return i + 2
    if not has_value and (name in spec.flags or name in spec.optional):
        parsed.values.append((name, None))
        return i + 1
    parsed.refusal = f"unrecognised option {name!r}"
    return i + 1


def _parse_short(words: Sequence[Word], i: int, spec: OptionSpec, parsed: ParsedOptions) -> int:
    text = words[i].text
    if spec.numeric_flags and text[1:].isdigit():
        parsed.values.append((text, None))
        return i + 1
    for position in range(1, len(text)):
        option, rest = "-" + text[position], text[position + 1 :]
        if spec.takes_value(option):
            if rest:
                parsed.values.append((option, Word(rest, words[i].literal, words[i].spans)))
                return i + 1
            if i + 1 >= len(words):
                parsed.refusal = f"option {option} needs a value"
                return i + 1
            parsed.values.append((option, words[i + 1]))
            return i + 2
        if option in spec.optional:
            parsed.values.append(
                (option, Word(rest, words[i].literal, words[i].spans) if rest else None)
            )
            return i + 1
        if option not in spec.flags:
            parsed.refusal = f"unrecognised option {option!r}"
            return i + 1
        parsed.values.append((option, None))
    return i + 1


def parse_options(words: Sequence[Word], spec: OptionSpec, start: int = 0) -> ParsedOptions:
    """Consume leading options of `words` (GNU style); stop at `--` or the first operand.

    An option word built by an expansion, or one the spec does not know, is a refusal.
    """
    parsed = ParsedOptions(index=start)
    i = start
    while i < len(words) and parsed.refusal is None:
        text = words[i].text
        if text == "--":
            i += 1
            break
        if not text.startswith("-") or text == "-":
            if not words[i].literal and text.startswith("-"):
                parsed.refusal = "an option is built by an expansion"
            break
        if not words[i].literal:
            parsed.refusal = "an option is built by an expansion"
            break
        i = (
            _parse_long(words, i, spec, parsed)
            if text.startswith("--")
            else _parse_short(words, i, spec, parsed)
        )
    parsed.index = i
    return parsed


@dataclass(frozen=True, slots=True)
class WrapperSpec:
    """A program that runs the command given in its operands."""

    options: OptionSpec = field(default_factory=OptionSpec)
    operands: int = 0  # operands before the command (timeout DURATION, flock FILE)
    assignments: bool = False  # env: NAME=VALUE words before the command
    joined: bool = False  # the remaining words are joined into shell code (watch)
    argv_options: frozenset[str] = frozenset()  # options that switch `joined` off (watch -x)
    no_command_options: frozenset[str] = frozenset()  # options that mean no command (ionice -p)
    options_after_operands: bool = False  # flock FILE -c CMD
    default: str | None = None  # what runs without a command (xargs -> echo)


_BOX = WrapperSpec(OptionSpec(flags=_set("--list --list-full --help --install -s")))
WRAPPERS: dict[str, WrapperSpec] = {
    "env": WrapperSpec(
        OptionSpec(
            flags=_set("-i --ignore-environment -0 --null -v --debug --list-signal-handling"),
            valued=_set("-u --unset -C --chdir"),
            optional=_set("--default-signal --ignore-signal --block-signal"),
            shell=_set("-S --split-string"),
        ),
        assignments=True,
    ),
    "nice": WrapperSpec(OptionSpec(valued=_set("-n --adjustment"), numeric_flags=True)),
    "nohup": WrapperSpec(),
    "timeout": WrapperSpec(
        OptionSpec(
            flags=_set("--foreground --preserve-status -v --verbose -f"),
            valued=_set("-s --signal -k --kill-after"),
        ),
        operands=1,
    ),
    "command": WrapperSpec(OptionSpec(flags=_set("-p -v -V"))),
    "exec": WrapperSpec(OptionSpec(flags=_set("-c -l"), valued=_set("-a"))),
    "builtin": WrapperSpec(),
    "setsid": WrapperSpec(OptionSpec(flags=_set("-c --ctty -f --fork -w --wait"))),
    "stdbuf": WrapperSpec(OptionSpec(valued=_set("-i -o -e --input --output --error"))),
    "ionice": WrapperSpec(
        OptionSpec(
            flags=_set("-t --ignore"),
            valued=_set("-c --class -n --classdata -p --pid -P --pgid -u --uid"),
        ),
        no_command_options=_set("-p --pid -P --pgid -u --uid"),
    ),
    "taskset": WrapperSpec(
        OptionSpec(flags=_set("-a --all-tasks -c --cpu-list -p --pid")),
        operands=1,
        no_command_options=_set("-p --pid"),
    ),
    "chrt": WrapperSpec(
        OptionSpec(
            flags=_set(
                "-b --batch -d --deadline -f --fifo -i --idle -o --other -r --rr -R --reset-on-fork -a --all-tasks -m --max -v --verbose -p --pid"
            ),
            valued=_set("-T --sched-runtime -P --sched-period -D --sched-deadline"),
        ),
        operands=1,
        no_command_options=_set("-p --pid -m --max"),
    ),
    "time": WrapperSpec(
        OptionSpec(
            flags=_set("-p --portability -v --verbose -a --append -q --quiet"),
            valued=_set("-f --format -o --output"),
        )
    ),
    "flock": WrapperSpec(
        OptionSpec(
            flags=_set(
                "-s --shared -x -e --exclusive -n --nb --nonblock -u --unlock -o --close --verbose -F --no-fork"
            ),
            valued=_set("-w --timeout --wait -E --conflict-exit-code"),
            shell=_set("-c --command"),
        ),
        operands=1,
        options_after_operands=True,
    ),
    "xargs": WrapperSpec(
        OptionSpec(
            flags=_set(
                "-0 --null -r --no-run-if-empty -t --verbose -p --interactive -x --exit -o --open-tty"
            ),
            valued=_set(
                "-a --arg-file -d --delimiter -E -I -L -n --max-args -P --max-procs -s --max-chars --process-slot-var"
            ),
            optional=_set("-e --eof -i --replace -l --max-lines"),
        ),
        default="echo",
    ),
    "watch": WrapperSpec(
        OptionSpec(
            flags=_set(
                "-b --beep -c --color -C --no-color -e --errexit -g --chgexit -t --no-title -x --exec -p --precise -r --no-rerun -w --no-wrap"
            ),
            valued=_set("-n --interval -q --equexit"),
            optional=_set("-d --differences"),
        ),
        joined=True,
        argv_options=_set("-x --exec"),
    ),
    "script": WrapperSpec(
        OptionSpec(
            flags=_set("-a --append -e --return -f --flush -q --quiet --force"),
            valued=_set(
                "-E --echo -I --log-in -O --log-out -B --log-io -T --log-timing -m --logging-format -o --output-limit"
            ),
            shell=_set("-c --command"),
        ),
        no_command_options=_set("-c --command"),
    ),
    "busybox": _BOX,
    "toybox": _BOX,
}


def _operands_then_command(
    words: Sequence[Word], spec: WrapperSpec, parsed: ParsedOptions
) -> Unwrapped:
    i = parsed.index
    first = i
    if spec.assignments:
        while i < len(words) and "=" in words[i].text and not words[i].text.startswith("="):
            i += 1
    assignments = tuple(words[first:i])
    i += spec.operands
    if spec.options_after_operands and i <= len(words):
        later = parse_options(words, spec.options, i)
        if later.refusal:
            return Unwrapped(refusal=later.refusal)
        parsed.values.extend(later.values)
        i = later.index
    shell = tuple(
        value
        for option, value in parsed.values
        if option in spec.options.shell and value is not None
    )
    options = {option for option, _ in parsed.values}
    rest = tuple(words[i:])
    if options & spec.no_command_options:
        return Unwrapped(shell=shell, assignments=assignments)
    if spec.joined and not options & spec.argv_options and rest:
        joined = " ".join(word.text for word in rest)
        spans = tuple(span for word in rest for span in word.spans)
        return Unwrapped(shell=(Word(joined, all(word.literal for word in rest), spans),))
    appends = spec.default is not None  # only xargs has a default command, and it appends input
    if not rest and spec.default is not None:
        rest = (Word(spec.default),)
    placeholder = next(
        (v.text for o, v in parsed.values if o in ("-I", "-i", "--replace") and v), None
    )
    if placeholder is None and options & {"-i", "--replace"}:
        placeholder = "{}"
    return Unwrapped(
        commands=(rest,) if rest else (),
        shell=shell,
        assignments=assignments,
        appends_arguments=appends,
        placeholder=placeholder,
    )


def unwrap_wrapper(name: str, words: Sequence[Word]) -> Unwrapped:
    """What a wrapper from `WRAPPERS` runs, given the words after its name."""
    spec = WRAPPERS[name]
    parsed = parse_options(words, spec.options)
    if parsed.refusal:
        return Unwrapped(refusal=f"{name}: {parsed.refusal}")
    return _operands_then_command(words, spec, parsed)


_EXEC_ACTIONS = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


def unwrap_find(words: Sequence[Word]) -> Unwrapped:
    """Every `-exec`/`-execdir`/`-ok`/`-okdir` command of a find expression, as one argv each."""
    commands: list[tuple[Word, ...]] = []
    i = 0
    while i < len(words):
        if words[i].text not in _EXEC_ACTIONS:
            i += 1
            continue
        end = i + 1
        while end < len(words) and words[end].text not in (";", "+"):
            end += 1
        if end >= len(words):
            return Unwrapped(refusal=f"find: {words[i].text} without a terminating ';' or '+'")
        commands.append(tuple(words[i + 1 : end]))
        i = end + 1
    return Unwrapped(commands=tuple(commands), placeholder="{}")
