"""The built-in command blocklist (one reason per entry) and the names every policy treats alike.

`docs/security.md` lists the same table; a unit test keeps the two in step.
"""

from __future__ import annotations

from types import MappingProxyType

# Program name -> why it is refused by default. Names are compared after quote removal and
# path stripping (`/usr/bin/sudo` is `sudo`). `MCP_SERVER_BLOCKED_COMMANDS` adds to this list;
# `MCP_SERVER_DEFAULT_BLOCKLIST=false` starts from an empty one.
DEFAULT_BLOCKLIST: MappingProxyType[str, str] = MappingProxyType(
    {
        "sudo": "runs a command as another user (privilege escalation)",
        "su": "switches user (privilege escalation)",
        "doas": "runs a command as another user (privilege escalation)",
        "pkexec": "runs a command as another user through polkit (privilege escalation)",
        "runuser": "runs a command as another user (privilege escalation)",
        "shutdown": "powers the machine off or reboots it",
        "reboot": "reboots the machine",
        "halt": "halts the machine",
        "poweroff": "powers the machine off",
        "init": "changes the init runlevel (can halt or reboot)",
        "telinit": "changes the init runlevel (can halt or reboot)",
        "systemctl": "starts, stops and reconfigures system services and power state",
        "mkfs": "creates a filesystem, destroying what the device held",
        "mkfs.ext2": "creates a filesystem, destroying what the device held",
        "mkfs.ext3": "creates a filesystem, destroying what the device held",
        "mkfs.ext4": "creates a filesystem, destroying what the device held",
        "mkfs.xfs": "creates a filesystem, destroying what the device held",
        "mkfs.btrfs": "creates a filesystem, destroying what the device held",
        "mkfs.vfat": "creates a filesystem, destroying what the device held",
        "mke2fs": "creates a filesystem, destroying what the device held",
        "mkswap": "formats a device as swap, destroying what it held",
        "fdisk": "rewrites disk partition tables",
        "sfdisk": "rewrites disk partition tables",
        "parted": "rewrites disk partition tables",
        "gdisk": "rewrites disk partition tables",
        "wipefs": "erases filesystem signatures from devices",
        "dd": "copies raw blocks; one wrong of= overwrites a disk",
        "shred": "overwrites files so they cannot be recovered",
        "mount": "changes the mounted filesystems",
        "umount": "changes the mounted filesystems",
        "swapon": "changes system swap",
        "swapoff": "changes system swap",
        "insmod": "loads kernel modules",
        "rmmod": "unloads kernel modules",
        "modprobe": "loads and unloads kernel modules",
        "sysctl": "changes kernel parameters",
        "iptables": "changes the firewall",
        "ip6tables": "changes the firewall",
        "nft": "changes the firewall",
        "ufw": "changes the firewall",
        "useradd": "creates system accounts",
        "userdel": "deletes system accounts",
        "usermod": "changes system accounts",
        "groupadd": "creates system groups",
        "groupdel": "deletes system groups",
        "passwd": "changes account passwords",
        "chpasswd": "changes account passwords in bulk",
        "visudo": "edits the sudo policy",
        "crontab": "installs scheduled jobs that outlive the call",
        "at": "schedules jobs that outlive the call",
        "kill": "signals arbitrary processes, the server included (use kill_process)",
        "killall": "signals every process with a name, the server included",
        "pkill": "signals processes by pattern, the server included",
        "nc": "opens raw network connections (reverse shells)",
        "ncat": "opens raw network connections (reverse shells)",
        "netcat": "opens raw network connections (reverse shells)",
        "socat": "relays raw network connections (reverse shells)",
        "telnet": "opens raw network connections",
        "chattr": "changes immutable/append-only file attributes",
        "setcap": "grants file capabilities (privilege escalation)",
        "chroot": "changes the root directory (needs privileges; escapes checks)",
        "nsenter": "enters other namespaces (escapes the sandbox when privileged)",
        "unshare": "creates namespaces; with privileges it can remount filesystems",
        "docker": "talks to the container engine, which is root-equivalent",
        "podman": "runs containers with host mounts",
    }
)

# Shell builtins that run no other program and cannot evaluate text as code; allowlist mode
# accepts them without listing (`cd src && make` should not need `cd` in the allowlist).
SAFE_BUILTINS: frozenset[str] = frozenset(
    {
        ":", "true", "false", "cd", "pwd", "echo", "printf", "test", "[", "export", "unset", "set",
        "shift", "exit", "return", "break", "continue", "wait", "read", "local", "declare",
        "typeset", "readonly", "umask", "getopts", "hash", "type", "jobs", "times", "pushd", "popd",
        "dirs", "shopt",
    }
)  # fmt: skip

# Builtins refused whatever the lists say: they evaluate text in ways no static check follows.
REFUSED_BUILTINS: MappingProxyType[str, str] = MappingProxyType(
    {
        "let": "evaluates arithmetic on variable contents, which can run commands through array subscripts",
        "enable": "loads builtins from shared libraries",
        "bind": "binds keys to shell commands",
        "complete": "registers completion commands",
        "compgen": "runs completion commands",
        "fc": "re-runs commands from history",
        "history": "re-runs or injects history entries",
    }
)

# Programs that run another program in ways the policy does not model: refused while a policy
# is active, unless an allowlist names them explicitly.
OPAQUE_WRAPPERS: MappingProxyType[str, str] = MappingProxyType(
    {
        name: "runs another command in a way the policy cannot look through"
        for name in (
            "strace", "ltrace", "gdb", "valgrind", "systemd-run", "parallel", "xvfb-run", "firejail",
            "bwrap", "proot", "fakeroot", "sg", "newgrp", "runcon", "numactl", "prlimit", "setpriv",
            "capsh", "catchsegv", "expect", "unbuffer", "entr", "tmux", "screen", "dtach", "sudo", "su",
            "doas", "pkexec", "runuser", "chroot", "nsenter", "unshare",
        )
    }
)  # fmt: skip
