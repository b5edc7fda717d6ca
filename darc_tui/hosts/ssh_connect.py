"""Opening one SSH connection: the user's ssh config, an explicit known_hosts, one-line errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import asyncssh

from darc_tui.config import HostConfig
from darc_tui.hosts._common import classify_os_error, one_line
from darc_tui.hosts.base import HostError

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
DEFAULT_SSH_CONFIG = "~/.ssh/config"


@dataclass(frozen=True, slots=True)
class SshSettings:
    """Connection knobs shared by every hop (keepalive on each hop: a jump's keepalive does not
    notice a dead target behind it, asyncssh #471)."""

    connect_timeout: float = 10.0
    keepalive_interval: float = 10.0
    keepalive_count_max: int = 3
    ssh_config: tuple[str, ...] | None = None  # None: ~/.ssh/config when readable


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the ssh config and darc's settings say about one host, before connecting."""

    config_paths: tuple[str, ...]
    hostname: str
    port: int
    username: str
    proxy_jump: str  # "" when the ssh config names no ProxyJump
    known_hosts_files: tuple[str, ...]  # the first one is where a new key would be added
    # asyncssh's default ciphers, AES-GCM first when this CPU has AES instructions; () = as the
    # ssh config (its Ciphers) or asyncssh say
    ciphers: tuple[str, ...] = ()


def _config_paths(settings: SshSettings) -> tuple[str, ...]:
    if settings.ssh_config is not None:
        return settings.ssh_config
    default = Path(DEFAULT_SSH_CONFIG).expanduser()
    return (str(default),) if default.is_file() else ()


def _port_arg(config: HostConfig) -> int | tuple[()]:
    # HostConfig cannot tell "port = 22" from "not set": let an ssh config Port win over 22.
    return config.port if config.port != 22 else ()


async def resolve(config: HostConfig, settings: SshSettings) -> Resolved:
    """Read the ssh config for this host (in a thread); refuse `UserKnownHostsFile none`."""
    paths = _config_paths(settings)
    try:
        options = await asyncssh.SSHClientConnectionOptions.construct(
            config=list(paths),
            host=config.address,
            port=_port_arg(config),
            username=config.user or (),
            client_keys=None,
            agent_path=None,
        )
    except (asyncssh.Error, OSError, ValueError) as exc:
        raise HostError(f"ssh config: {one_line(exc)}") from None
    tunnel = options.tunnel
    proxy_jump = tunnel if isinstance(tunnel, str) and tunnel.lower() != "none" else ""
    return Resolved(
        config_paths=paths,
        hostname=options.host,
        port=options.port,
        username=options.username,
        proxy_jump=proxy_jump,
        known_hosts_files=_known_hosts_files(config, options.known_hosts),
        ciphers=preferred_ciphers(options.encryption_algs, _cpu_has_aes()),
    )


# AES-GCM runs on the AES instructions in OpenSSL (sshd) and in `cryptography` (asyncssh):
# following a busy log over SSH, it cost our process half the CPU of chacha20-poly1305,
# asyncssh's first choice (30 MiB: 0.06 s against 0.11 s)
_AES_FIRST = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def preferred_ciphers(selected: Sequence[bytes], has_aes: bool) -> tuple[str, ...]:
    """asyncssh's default list with AES-GCM moved first, when the ssh config chose none (the
    same ciphers accepted, only the order of preference changes); else () = as selected."""
    default = asyncssh.encryption.get_default_encryption_algs()
    if not has_aes or list(selected) != list(default):
        return ()
    names = [alg.decode("ascii") for alg in default]
    first = [name for name in _AES_FIRST if name in names]
    return (*first, *[name for name in names if name not in first])


@cache
def _cpu_has_aes() -> bool:
    """True when /proc/cpuinfo lists the AES instructions (x86 `flags`, Arm `Features`)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            info = f.read(256 * 1024)
    except OSError:
        return False
    return any(
        "aes" in line.split(":", 1)[1].split()
        for line in info.splitlines()
        if line.startswith(("flags", "Features")) and ":" in line
    )


def _known_hosts_files(config: HostConfig, from_ssh_config: Any) -> tuple[str, ...]:
    if config.known_hosts:
        return (str(Path(config.known_hosts).expanduser()),)
    if from_ssh_config is None:
        # asyncssh turns `UserKnownHostsFile none` into known_hosts=None = no checking at all
        raise HostError(
            f"ssh config sets UserKnownHostsFile none for {config.address}: darc-tui never "
            f"disables host key checking; set known_hosts in [hosts.{config.name}]"
        )
    files = tuple(str(Path(p).expanduser()) for p in from_ssh_config or ())
    return files or (str(Path(DEFAULT_KNOWN_HOSTS).expanduser()),)


def _read_trusted(files: Sequence[str]) -> asyncssh.SSHKnownHosts:
    existing = [f for f in files if Path(f).is_file()]
    # a missing file trusts nothing (fail closed), like OpenSSH with StrictHostKeyChecking yes
    return asyncssh.read_known_hosts(existing) if existing else asyncssh.import_known_hosts("")


class _Client(asyncssh.SSHClient):
    """Remembers a host key that known_hosts did not trust, and reports connection loss."""

    def __init__(self, on_lost: Callable[[Exception | None], None]) -> None:
        self.on_lost = on_lost
        self.rejected: tuple[str, int, asyncssh.SSHKey] | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.rejected = (host, port, key)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.on_lost(exc)


async def open_connection(
    config: HostConfig,
    resolved: Resolved,
    settings: SshSettings,
    *,
    tunnel: asyncssh.SSHClientConnection | None,
    on_lost: Callable[[Exception | None], None],
) -> asyncssh.SSHClientConnection:
    """One authenticated connection, or HostError with a one-line reason."""
    try:
        trusted = await asyncio.to_thread(_read_trusted, resolved.known_hosts_files)
    except (OSError, ValueError) as exc:
        raise HostError(f"cannot read {resolved.known_hosts_files[0]}: {one_line(exc)}") from None
    client = _Client(on_lost)
    try:
        return await asyncssh.connect(
            config.address,
            port=_port_arg(config),
            config=list(resolved.config_paths),
            username=config.user or (),
            client_keys=[config.identity_file] if config.identity_file else (),
            known_hosts=trusted,
            tunnel=tunnel,
            connect_timeout=settings.connect_timeout,
            login_timeout=settings.connect_timeout,
            keepalive_interval=settings.keepalive_interval,
            keepalive_count_max=settings.keepalive_count_max,
            agent_forwarding=False,
            x11_forwarding=False,
            encoding=None,  # bytes: one stray non-UTF-8 byte must not drop the connection
            encryption_algs=list(resolved.ciphers) or (),
            client_factory=lambda: client,
        )
    except asyncssh.HostKeyNotVerifiable as exc:
        raise HostError(_host_key_message(client, trusted, resolved, exc)) from None
    except asyncssh.PermissionDenied:
        raise HostError(
            f"authentication failed for {resolved.username}@{resolved.hostname}"
            " (no accepted key: check identity_file, the agent, authorized_keys)"
        ) from None
    except TimeoutError:
        raise HostError(f"connect timeout after {settings.connect_timeout:g}s") from None
    except asyncssh.ChannelOpenError as exc:
        raise HostError(f"jump host cannot reach {resolved.hostname}: {exc.reason}") from None
    except socket.gaierror as exc:
        raise HostError(f"cannot resolve {resolved.hostname}: {exc.strerror}") from None
    except OSError as exc:
        raise HostError(_os_error_text(exc)) from None
    except (asyncssh.Error, ValueError) as exc:
        raise HostError(f"ssh: {one_line(exc)}") from None


def _os_error_text(exc: OSError) -> str:
    kind = classify_os_error(exc)
    return {"refused": "connection refused", "timeout": "connect timeout"}.get(kind, kind)


def _host_key_message(
    client: _Client,
    trusted: asyncssh.SSHKnownHosts,
    resolved: Resolved,
    exc: asyncssh.HostKeyNotVerifiable,
) -> str:
    if client.rejected is None:
        return f"host key not trusted: {one_line(exc)}"
    host, port, key = client.rejected
    entry = host if port == 22 else f"[{host}]:{port}"
    algorithm, data = key.export_public_key("openssh").decode().split()[:2]
    where = resolved.known_hosts_files[0]
    known = trusted.match(host, "", port)[0]
    if known:
        return (
            f"HOST KEY MISMATCH for {entry}: server offers {algorithm} {key.get_fingerprint()}, "
            f"{where} lists another key (host reinstalled, or someone in the middle)"
        )
    return (
        f"unknown host key for {entry}: {algorithm} {key.get_fingerprint()}; if that is right, "
        f"add to {where}: {entry} {algorithm} {data}"
    )
