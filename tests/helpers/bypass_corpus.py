"""Blocklist bypass attempts, with `touch` as the blocked stand-in and `{M}` as the marker file.

Each attempt would create the marker if the policy let it through. Sources name the public
reports the technique comes from (other MCP shell servers); the rest are classic shell tricks.
`{R}` is the allowed root (a directory that exists).
"""

from __future__ import annotations

from typing import NamedTuple


class Attempt(NamedTuple):
    id: str
    command: str | list[str]
    source: str
    stdin: str | None = None


DC = "wonderwhy-er/DesktopCommanderMCP"
ATTEMPTS: tuple[Attempt, ...] = (
    Attempt("plain", "touch {M}", "control: the bare blocked command"),
    Attempt("semicolon", "echo ok; touch {M}", "hdresearch/mcp-shell#17"),
    Attempt("and-list", "echo ok && touch {M}", f"{DC}#730 (operators)"),
    Attempt("or-list", "false || touch {M}", "list operators"),
    Attempt("pipeline", "echo ok | touch {M}", "pipelines"),
    Attempt("background", "touch {M} & wait", "asynchronous list"),
    Attempt("newline", "echo ok\ntouch {M}", f"{DC}#422, {DC}#730, andresthor/cmd-line-mcp#5"),
    Attempt("dollar-paren", "echo $(touch {M})", f"{DC}#217, MladenSU/cli-mcp-server#17"),
    Attempt("backticks", "echo `touch {M}`", "MladenSU/cli-mcp-server#19"),
    Attempt("nested-substitution", "echo $(echo $(touch {M}))", "nested command substitution"),
    Attempt("process-substitution-in", "cat <(touch {M})", f"{DC}#497"),
    Attempt("process-substitution-out", "echo x > >(touch {M}); sleep 0.5", f"{DC}#497"),
    Attempt("subshell", "(touch {M})", "subshells"),
    Attempt("group", "{ touch {M}; }", "brace groups"),
    Attempt("function", "f() { touch {M}; }; f", "function bodies"),
    Attempt("absolute-path", "/usr/bin/touch {M}", f"{DC}#218"),
    Attempt("relative-path", "cd /usr/bin && ./touch {M}", "relative paths"),
    Attempt("double-quoted-name", '"touch" {M}', f"{DC}#423 (CVE-2025-11491 variant)"),
    Attempt("split-quotes", "to''uch {M}", f"{DC}#421"),
    Attempt("backslash", "t\\ouch {M}", "quote removal"),
    Attempt("ansi-c-quoting", "$'\\x74ouch' {M}", "ANSI-C quoting"),
    Attempt("glob-star", "/usr/bin/to*ch {M}", f"{DC}#421 (wildcards)"),
    Attempt("glob-question", "/usr/bin/tou?h {M}", "globs"),
    Attempt("glob-bracket", "/usr/bin/[t]ouch {M}", "globs"),
    Attempt("brace-expansion", "{to,}uch {M}", "brace expansion"),
    Attempt("variable", "T=touch; $T {M}", "expansion as the command word"),
    Attempt("variable-suffix", "T=to; ${T}uch {M}", "expansion as the command word"),
    Attempt(
        "substitution-as-name", "$(echo touch) {M}", "command substitution as the command word"
    ),
    Attempt(
        "parameter-default",
        "echo ${x:-$(touch {M})}",
        "substitution inside ${...} (opaque to bashlex)",
    ),
    Attempt(
        "heredoc-substitution", "cat <<EOF\n$(touch {M})\nEOF", "substitution in a here-document"
    ),
    Attempt(
        "arithmetic-injection", "x='a[$(touch {M})]'; echo $((x))", "bash arithmetic evaluation"
    ),
    Attempt("env", "env touch {M}", f"{DC}#730"),
    Attempt("env-assignments", "env -i A=1 touch {M}", "env with assignments"),
    Attempt("env-split-string", "env -S 'touch {M}'", "env -S"),
    Attempt("xargs", "echo {M} | xargs touch", f"{DC}#730"),
    Attempt(
        "xargs-placeholder", "echo {M} | xargs -I % sh -c 'touch %'", "xargs -I spliced into sh -c"
    ),
    Attempt("nice", "nice -n 5 touch {M}", "wrappers"),
    Attempt("timeout", "timeout 5 touch {M}", "wrappers"),
    Attempt("setsid", "setsid -w touch {M}", "wrappers"),
    Attempt("stdbuf", "stdbuf -oL touch {M}", "wrappers"),
    Attempt("command-builtin", "command touch {M}", "builtins"),
    Attempt("exec-builtin", "exec touch {M}", "builtins"),
    Attempt("eval", 'eval "touch {M}"', "eval"),
    Attempt("trap", "trap 'touch {M}' EXIT; true", "trap"),
    Attempt("hash-path", "hash -p /usr/bin/touch ls; ls {M}", "bash's command hash table"),
    Attempt("sh-c", 'sh -c "touch {M}"', f"{DC}#730"),
    Attempt("bash-c-clustered", "bash -ec 'echo hi; touch {M}'", "sh -c payloads"),
    Attempt("nested-shells", "sh -c \"bash -c 'touch {M}'\"", "nested payloads"),
    Attempt("shell-from-pipe", "echo 'touch {M}' | sh", "script fed through a pipe"),
    Attempt("shell-here-string", "bash <<< 'touch {M}'", "here-strings"),
    Attempt("shell-heredoc", "bash <<EOF\ntouch {M}\nEOF", "here-documents"),
    Attempt("shell-stdin", "sh", "the call's stdin is the script", stdin="touch {M}\n"),
    Attempt("find-exec", "find {R} -maxdepth 0 -exec touch {M} \\;", "find -exec"),
    Attempt("find-exec-sh", "find {R} -maxdepth 0 -exec sh -c 'touch {M}' \\;", "find -exec sh -c"),
    Attempt("busybox", "busybox touch {M}", "busybox applets"),
    Attempt("python-system", "python3 -c \"import os; os.system('touch {M}')\"", f"{DC}#730"),
    Attempt("awk-system", "awk 'BEGIN{system(\"touch {M}\")}'", "tumf/mcp-shell-server#40"),
    Attempt(
        "git-alias", "git -c alias.x='!touch {M}' x", "sonirico/mcp-shell#16 (GHSA-74hp-mggr-hv58)"
    ),
    Attempt(
        "git-ssh-command",
        "git -c core.sshCommand='touch {M}' ls-remote ssh://host/repo",
        "tumf/mcp-shell-server#40",
    ),
    Attempt(
        "tar-checkpoint",
        "tar -cf /dev/null --checkpoint=1 --checkpoint-action=exec='touch {M}' {R}",
        "tumf/mcp-shell-server#40",
    ),
    Attempt(
        "command-variable",
        "GIT_SSH_COMMAND='touch {M}' git ls-remote ssh://host/repo",
        "command-valued variables",
    ),
    Attempt("argv", ["touch", "{M}"], "argv list, no shell"),
    Attempt("argv-absolute", ["/usr/bin/touch", "{M}"], "argv list with a path"),
    Attempt("argv-env", ["env", "touch", "{M}"], "argv list through a wrapper"),
    Attempt("argv-sh-c", ["sh", "-c", "touch {M}"], "argv list with a shell payload"),
)


def render(attempt: Attempt, marker: str, root: str) -> tuple[str | list[str], str | None]:
    """The attempt's command and stdin with the marker and root filled in."""

    def fill(text: str) -> str:
        return text.replace("{M}", marker).replace("{R}", root)

    command = (
        fill(attempt.command)
        if isinstance(attempt.command, str)
        else [fill(a) for a in attempt.command]
    )
    return command, fill(attempt.stdin) if attempt.stdin is not None else None
