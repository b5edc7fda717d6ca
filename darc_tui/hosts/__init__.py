"""Where commands and connections run: the jump box (`LocalHost`) or an SSH host (`SshHost`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from darc_tui.config import LOCAL, Config, ConfigError
from darc_tui.hosts.base import CommandResult, Host, HostError, LineStream, TcpResult, shell_join
from darc_tui.hosts.http import HttpResult, http_request
from darc_tui.hosts.local import LocalHost
from darc_tui.retry import Backoff

if TYPE_CHECKING:
    from darc_tui.hosts.ssh import SshHost

__all__ = [
    "Backoff",
    "CommandResult",
    "Host",
    "HostError",
    "HttpResult",
    "LineStream",
    "LocalHost",
    "SshHost",
    "TcpResult",
    "build_hosts",
    "http_request",
    "shell_join",
]


def __getattr__(name: str) -> Any:
    # asyncssh (and its crypto) takes a quarter of a second to import: only when SSH is used
    if name == "SshHost":
        from darc_tui.hosts.ssh import SshHost

        return SshHost
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_hosts(config: Config) -> dict[str, Host]:
    """ "local" plus one SshHost per [hosts.*], each jump host wired as the same SshHost object."""
    hosts: dict[str, Host] = {LOCAL: LocalHost(LOCAL)}
    if not config.hosts:
        return hosts  # no SSH host: asyncssh is never imported
    from darc_tui.hosts.ssh import SshHost

    ssh_hosts: dict[str, SshHost] = {}

    def ssh_host(name: str, chain: tuple[str, ...] = ()) -> SshHost:
        if name in ssh_hosts:
            return ssh_hosts[name]
        if name in chain:
            raise ConfigError(f"jump hosts form a loop: {' -> '.join((*chain, name))}")
        host_config = config.hosts[name]
        jump = ssh_host(host_config.jump, (*chain, name)) if host_config.jump else None
        ssh_hosts[name] = SshHost(host_config, jump=jump)
        return ssh_hosts[name]

    for name in config.hosts:
        hosts[name] = ssh_host(name)
    return hosts
