"""Programs that take code as data: shells, interpreters, builtins like eval, git, tar, ssh.

Pure and total. Each function returns an `Unwrapped` naming the shell code, inline code or
commands the program would run, so the policy can check them like the outer command.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Sequence

from mcp_server.security.wrappers import Unwrapped, Word

SHELLS: frozenset[str] = frozenset(
    {"sh", "bash", "rbash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "oksh", "ash", "yash", "posh",
     "fish", "csh", "tcsh"}
)  # fmt: skip
_SHELL_VALUED = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_SHELL_LONG_FLAGS = frozenset(
    {"--norc", "--noprofile", "--login", "--posix", "--restricted", "--verbose", "--noediting", "--debugger",
     "--dump-strings", "--dump-po-strings", "--pretty-print", "--help", "--version", "--no-rcs"}
)  # fmt: skip
_STDIN_PATHS = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})
_INTERPRETER = re.compile(
    r"^(python|pypy|perl|ruby|php|lua|tclsh|node|nodejs|deno|bun|rscript|luajit|pwsh|osascript)[0-9.]*$"
)
_AWK = frozenset({"awk", "gawk", "mawk", "nawk", "busybox-awk"})
_SED = frozenset({"sed", "gsed"})
# Interpreter options whose next word is program text (`python -c`, `perl -e`, `node --eval`).
_CODE_OPTIONS = frozenset({"-c", "-e", "-E", "-r", "--eval", "-p", "--print", "--source"})

# Environment variables that change how shells and tools start: refused in assignments and in
# the call's `env` (BASH_FUNC_* overrides commands, SHELLOPTS+PS4 runs code at every command).
REFUSED_ENV = frozenset(
    {"BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "LD_PRELOAD", "LD_AUDIT",
     "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_EXEC_PATH", "PERL5OPT", "NODE_OPTIONS", "RUBYOPT",
     "BASH_LOADABLES_PATH"}
)  # fmt: skip
_REFUSED_ENV_PREFIXES = ("BASH_FUNC_", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")
# Environment variables whose value a tool runs as a shell command: checked like one.
COMMAND_ENV = frozenset(
    {"GIT_SSH_COMMAND", "GIT_SSH", "GIT_PAGER", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_EXTERNAL_DIFF",
     "GIT_ASKPASS", "GIT_PROXY_COMMAND", "SSH_ASKPASS", "SUDO_ASKPASS", "PAGER", "MANPAGER", "EDITOR",
     "VISUAL", "LESSOPEN", "LESSCLOSE", "BROWSER", "CVS_RSH", "RSYNC_RSH"}
)  # fmt: skip

# Options whose value the program runs through a shell.
SHELL_VALUED_OPTIONS: dict[str, frozenset[str]] = {
    "rsync": frozenset({"-e", "--rsh", "--rsync-path"}),
    "scp": frozenset({"-S"}),
    "zip": frozenset({"-TT", "--unzip-command"}),
    "man": frozenset({"-P", "--pager"}),
    "tcpdump": frozenset({"-z"}),
}
_SSH_LIKE = frozenset({"ssh", "scp", "sftp", "rsync"})
_SSH_COMMAND_KEYS = frozenset({"proxycommand", "localcommand", "knownhostscommand"})
_TAR_EXEC = (
    "--to-command",
    "--use-compress-program",
    "--rsh-command",
    "--info-script",
    "--new-volume-script",
)
_GIT_COMMAND_KEYS = frozenset(
    {"core.pager", "core.sshcommand", "core.editor", "core.askpass", "core.fsmonitor", "sequence.editor",
     "diff.external", "gpg.program", "gpg.ssh.program", "gpg.x509.program", "credential.helper",
     "web.browser", "sendemail.sendmailcmd", "uploadpack.packobjectshook", "core.gitproxy"}
)  # fmt: skip
_GIT_COMMAND_SUFFIXES = (".textconv", ".command", ".cmd", ".helper", ".driver", ".clean", ".smudge",
                         ".process", ".program", ".sshcommand", ".path")  # fmt: skip
_GIT_REFUSED_KEYS = ("core.hookspath", "include.path", "includeif.")
_GIT_VALUED = frozenset(
    {"-C", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--attr-source"}
)
_GIT_CONFIG_VALUED = frozenset(
    {"-f", "--file", "--blob", "--type", "--default", "--comment", "--value"}
)


def is_interpreter(name: str) -> bool:
    """Whether `name` runs program text in another language (python, perl, node, awk, sed...)."""
    lowered = name.lower()
    return bool(_INTERPRETER.match(lowered)) or lowered in _AWK or lowered in _SED


def unwrap_shell(words: Sequence[Word]) -> Unwrapped:
    """What `sh`/`bash`/... run: the `-c` text, a script file, or a script read from stdin."""
    i, command_mode, from_stdin = 0, False, False
    while i < len(words):
        text = words[i].text
        if text[:1] in "-+" and not words[i].literal:
            return Unwrapped(refusal="a shell option is built by an expansion")
        if text == "--" or text == "-":
            from_stdin = text == "-"
            i += 1
            break
        if text in _SHELL_VALUED:
            i += 2
            continue
        if text.startswith("--"):
            if text not in _SHELL_LONG_FLAGS:
                return Unwrapped(refusal=f"unrecognised shell option {text!r}")
            i += 1
            continue
        if len(text) < 2 or text[0] not in "-+":
            break
        letters = text[1:]
        if not letters.isalpha():
            return Unwrapped(refusal=f"unrecognised shell option {text!r}")
        command_mode = command_mode or (text[0] == "-" and "c" in letters)
        from_stdin = from_stdin or (text[0] == "-" and "s" in letters)
        i += 1 + letters.count("o") + letters.count("O")
    rest = words[i:]
    if command_mode:
        return (
            Unwrapped(shell=(rest[0],)) if rest else Unwrapped(refusal="shell -c without a command")
        )
    if from_stdin or not rest:
        return Unwrapped(reads_script_from_stdin=True)
    if not rest[0].literal:
        return Unwrapped(refusal="the shell script path is built by an expansion or substitution")
    if rest[0].text in _STDIN_PATHS or rest[0].text.startswith(("/dev/fd/", "/proc/")):
        return Unwrapped(reads_script_from_stdin=True)
    return Unwrapped()  # a script file on disk: not inspected (docs/security.md)


def unwrap_interpreter(name: str, words: Sequence[Word], allowlist_mode: bool) -> Unwrapped:
    """Inline program text of an interpreter, to be scanned for blocked program names.

    Every literal argument is scanned (program text may sit in any of them); a program text
    built by an expansion is refused, since nothing can be scanned.
    """
    for previous, word in itertools.pairwise(words):
        option = previous.text
        takes_code = option in _CODE_OPTIONS or (
            re.fullmatch(r"-[a-zA-Z]*[ceEr]", option) is not None
        )
        if takes_code and not word.literal:
            return Unwrapped(refusal=f"{name}: program text is built by an expansion")
    code = tuple(word for word in words if word.literal)
    lowered = name.lower()
    if allowlist_mode and lowered in _AWK and any(_awk_runs_commands(word.text) for word in code):
        return Unwrapped(refusal=f"{name}: the program runs commands (system() or a pipe)")
    if allowlist_mode and lowered in _SED and any(_sed_runs_commands(word.text) for word in code):
        return Unwrapped(refusal=f"{name}: the script runs commands (the e command or flag)")
    return Unwrapped(code=code, scans_stdin=True)


def _awk_runs_commands(program: str) -> bool:
    return "system" in program or "|" in program


def _sed_runs_commands(script: str) -> bool:
    # `s/a/b/e`, `s/a/b/ge`, or an `e` command at the start of a line or after `;`.
    return (
        re.search(
            r"/[gpiImM0-9w]*e[gpiImM0-9]*(\s*[;}\n]|\s*$)|(^|[;\n{])\s*[0-9,$!/]*\s*e(\s|$)", script
        )
        is not None
    )


def check_assignment(name: str, value: Word) -> Unwrapped:
    """An environment assignment (`NAME=value` prefix, `export`, the call's `env`)."""
    upper = name.upper()
    if upper in REFUSED_ENV or upper.startswith(_REFUSED_ENV_PREFIXES) or "%" in name:
        return Unwrapped(refusal=f"setting {name} changes how programs start and is refused")
    if upper in COMMAND_ENV:
        return Unwrapped(shell=(value,))
    return Unwrapped()


def _merge(parts: Sequence[Unwrapped]) -> Unwrapped:
    refusal = next((part.refusal for part in parts if part.refusal), None)
    if refusal:
        return Unwrapped(refusal=refusal)
    return Unwrapped(
        commands=tuple(command for part in parts for command in part.commands),
        shell=tuple(word for part in parts for word in part.shell),
        reads_script_from_stdin=any(part.reads_script_from_stdin for part in parts),
    )


def _assignments(words: Sequence[Word]) -> Unwrapped:
    found = []
    for word in words:
        name, equals, value = word.text.partition("=")
        if equals and not name.startswith("-"):
            found.append(check_assignment(name, Word(value, word.literal, word.spans)))
    return _merge(found)


def unwrap_builtin(name: str, words: Sequence[Word]) -> Unwrapped:
    """Builtins that evaluate text: eval, trap, alias, mapfile -C, source, export and friends."""
    if name == "eval":
        return Unwrapped(shell=(_joined(words),)) if words else Unwrapped()
    if name == "trap":
        operands = [word for word in words if word.text not in ("-l", "-p", "--")]
        if len(operands) >= 2 and operands[0].text not in ("", "-"):
            return Unwrapped(shell=(operands[0],))
        return Unwrapped()
    if name == "alias":
        return Unwrapped(
            shell=tuple(
                Word(w.text.partition("=")[2], w.literal, w.spans) for w in words if "=" in w.text
            )
        )
    if name in ("mapfile", "readarray"):
        callbacks = [words[i + 1] for i, word in enumerate(words[:-1]) if word.text == "-C"]
        return Unwrapped(shell=tuple(callbacks))
    if name == "hash":
        # `hash -p /usr/bin/touch ls` makes `ls` run touch: the path is what will run.
        paths = [
            words[i + 1]
            for i, word in enumerate(words[:-1])
            if word.text.startswith("-") and "p" in word.text
        ]
        return Unwrapped(commands=tuple((path,) for path in paths))
    if name in ("source", "."):
        if not words:
            return Unwrapped()
        if not words[0].literal:
            return Unwrapped(refusal="the sourced file is built by an expansion or substitution")
        return Unwrapped(reads_script_from_stdin=words[0].text in _STDIN_PATHS)
    return _assignments(words)


PAYLOAD_BUILTINS = frozenset(
    {"hash", "eval", "trap", "alias", "mapfile", "readarray", "source", ".", "export", "declare",
     "typeset", "local", "readonly"}
)  # fmt: skip


def _joined(words: Sequence[Word]) -> Word:
    spans = tuple(span for word in words for span in word.spans)
    return Word(" ".join(word.text for word in words), all(word.literal for word in words), spans)


def _option_value(words: Sequence[Word], i: int, option: str) -> Word | None:
    """The value of `option` if `words[i]` is that option (`-o v`, `--opt=v`, `-ov`)."""
    text = words[i].text
    if text == option:
        return words[i + 1] if i + 1 < len(words) else Word("", True)
    if option.startswith("--") and text.startswith(option + "="):
        return Word(text[len(option) + 1 :], words[i].literal, words[i].spans)
    if len(option) == 2 and text.startswith(option) and len(text) > 2 and not text.startswith("--"):
        return Word(text[2:], words[i].literal, words[i].spans)
    return None


def unwrap_options(name: str, words: Sequence[Word]) -> Unwrapped:
    """Shell-valued options of rsync, scp, zip, man, tcpdump, and ssh's `-o ProxyCommand=`."""
    payloads: list[Word] = []
    options = SHELL_VALUED_OPTIONS.get(name, frozenset())
    for i in range(len(words)):
        for option in options:
            value = _option_value(words, i, option)
            if value is not None:
                payloads.append(value)
        if name in _SSH_LIKE:
            value = _option_value(words, i, "-o")
            key, _, setting = (
                value.text.replace("=", " ", 1).partition(" ") if value else ("", "", "")
            )
            if value is not None and key.strip().lower() in _SSH_COMMAND_KEYS:
                payloads.append(Word(setting.strip(), value.literal, value.spans))
    return Unwrapped(shell=tuple(payloads))


def _next(words: Sequence[Word], i: int) -> Word:
    return words[i + 1] if i + 1 < len(words) else Word("")


def unwrap_tar(words: Sequence[Word]) -> Unwrapped:
    """Commands tar runs: --to-command, -I/--use-compress-program, --checkpoint-action=exec=..."""
    if (
        words
        and not words[0].text.startswith("-")
        and ("I" in words[0].text or "F" in words[0].text)
    ):
        return Unwrapped(
            refusal="tar: old-style options with I or F are refused; write them with a dash"
        )
    payloads: list[Word] = []
    for i, word in enumerate(words):
        name, has_value, value = word.text.partition("=")
        attached = Word(value, word.literal, word.spans)
        if (
            name.startswith("--")
            and len(name) > 3
            and any(option.startswith(name) for option in _TAR_EXEC)
        ):
            # GNU tar accepts unambiguous abbreviations (`--to-com=`): match by prefix.
            payloads.append(attached if has_value else _next(words, i))
        elif name.startswith("--checkpoint-a"):
            action = attached if has_value else _next(words, i)
            if action.text.startswith("exec="):
                payloads.append(Word(action.text[5:], action.literal, action.spans))
        elif word.text.startswith("-") and not word.text.startswith("--"):
            for letter in "IF":
                if letter in word.text:
                    rest = word.text[word.text.index(letter) + 1 :]
                    payloads.append(
                        Word(rest, word.literal, word.spans) if rest else _next(words, i)
                    )
    return Unwrapped(shell=tuple(payloads))


def _git_config(key: str, value: Word) -> Unwrapped:
    lowered = key.lower()
    if lowered.startswith(_GIT_REFUSED_KEYS):
        return Unwrapped(
            refusal=f"git: setting {key} loads code or config from elsewhere and is refused"
        )
    if lowered.startswith("alias."):
        if value.text.startswith("!"):
            return Unwrapped(shell=(Word(value.text[1:], value.literal, value.spans),))
        try:
            return unwrap_git([Word(part, value.literal) for part in shlex.split(value.text)])
        except ValueError:
            return Unwrapped(refusal=f"git: alias {key} cannot be parsed")
    if (
        lowered in _GIT_COMMAND_KEYS
        or lowered.startswith("pager.")
        or lowered.endswith(_GIT_COMMAND_SUFFIXES)
    ):
        return Unwrapped(shell=(Word(value.text.removeprefix("!"), value.literal, value.spans),))
    return Unwrapped()


def unwrap_git(words: Sequence[Word]) -> Unwrapped:
    """Commands git runs from `-c key=value`, `git config key value` and aliases."""
    found: list[Unwrapped] = []
    i = 0
    while i < len(words) and words[i].text.startswith("-"):
        text = words[i].text
        if text.startswith(("--config-env", "--exec-path=")) or not words[i].literal:
            return Unwrapped(refusal=f"git: option {text.split('=')[0]} is refused")
        if text == "-c" or (text.startswith("-c") and len(text) > 2):
            setting = (
                words[i + 1]
                if text == "-c" and i + 1 < len(words)
                else Word(text[2:], words[i].literal)
            )
            key, _, value = setting.text.partition("=")
            found.append(_git_config(key, Word(value, setting.literal, setting.spans)))
            i += 2 if text == "-c" else 1
            continue
        i += 2 if text in _GIT_VALUED else 1
    if i < len(words) and words[i].text == "config":
        operands = []
        j = i + 1
        while j < len(words):
            if words[j].text in _GIT_CONFIG_VALUED:
                j += 2
                continue
            if not words[j].text.startswith("-"):
                operands.append(words[j])
            j += 1
        if len(operands) >= 2:
            found.append(_git_config(operands[0].text, operands[1]))
    return _merge(found)
