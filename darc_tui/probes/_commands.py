"""Shared by the host-command probes: which host, `sudo -n`, how a command is shown, "needs root"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from darc_tui.config import Config
from darc_tui.hosts.base import CommandResult, Host, shell_join
from darc_tui.parse.ps import PS_ARGV, PS_ARGV_MINIMAL, ProcessTable, parse_ps

# What iptables, nft, ufw, ss and sudo print when the caller lacks the privilege (recorded in
# tests/data/host/*nonroot*, and sudo's documented wording for `-n` without a cached password).
_NEEDS_ROOT = (
    "you must be root",
    "operation not permitted",
    "permission denied",
    "need to be root",
    "sudo: a password is required",
    "sudo: a terminal is required",
    "is not in the sudoers file",
    "may not run sudo",
)


def host_named(hosts: Mapping[str, Host], name: str) -> Host | None:
    return hosts.get(name) if name else None


def uses_sudo(config: Config, host_name: str) -> bool:
    """`sudo = true` on [hosts.NAME]; the built-in "local" host never uses sudo."""
    host = config.hosts.get(host_name)
    return bool(host and host.sudo)


# A non-root login's PATH often lacks the sbin directories where iptables, nft and ufw live
# (Debian: /usr/local/bin:/usr/bin:/bin), so "not installed" would hide "needs root".
SBIN_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def privileged(argv: Sequence[str], sudo: bool) -> tuple[str, ...]:
    """argv, prefixed with `sudo -n` (never prompts: no password, no terminal) when allowed;
    else run through `env` with the sbin directories on PATH (sudo's secure_path has them)."""
    return ("sudo", "-n", *argv) if sudo else ("env", SBIN_PATH, *argv)


def shown(host: Host, argv: Sequence[str]) -> str:
    """The command as an engineer would type it on the jump box."""
    if len(argv) > 2 and argv[0] == "env" and argv[1] == SBIN_PATH:
        argv = argv[2:]
    line = shell_join(argv)
    return line if host.kind == "local" else f"ssh {host.name} {shell_join([line])}"


def needs_root(result: CommandResult) -> bool:
    text = f"{result.err_text()} {result.text()[:300]}".lower()
    return result.ran and not result.ok and any(marker in text for marker in _NEEDS_ROOT)


def not_installed(result: CommandResult) -> bool:
    """The command does not exist there (LocalHost says so; a remote shell exits 127)."""
    if result.error.startswith("command not found"):
        return True
    return result.exit_status == 127 or (
        result.ran and not result.ok and "command not found" in result.err_text().lower()
    )


async def list_processes(host: Host, timeout: float) -> tuple[CommandResult, ProcessTable]:
    """`ps` on the host; on a minimal (busybox) host whose ps refuses the options, the plain form
    (no start times). The result is the last command run."""
    result = await host.run(PS_ARGV, timeout=timeout)
    if result.ok or not result.ran or not_installed(result):
        return result, parse_ps(result.text())
    minimal = await host.run(PS_ARGV_MINIMAL, timeout=timeout)
    if not minimal.ok:
        return result, parse_ps("")
    return minimal, parse_ps(minimal.text(), elapsed=False)
