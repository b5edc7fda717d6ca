"""TOML configuration → frozen, typed settings. Every error is one line naming file, line and key."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

LOCAL = "local"
RELOAD_METHODS = ("systemd", "hot-restart", "command")
_HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the user."""


@dataclass(frozen=True, slots=True)
class SiteConfig:
    name: str = "site"
    public_url: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class HostConfig:
    name: str
    address: str = ""
    user: str = ""
    port: int = 22
    jump: str = ""
    identity_file: str = ""
    known_hosts: str = ""
    sudo: bool = False
    # SSH channels darc-tui may hold on this host at once, log followers included; keep it at or
    # below the host's sshd MaxSessions (default 10, hardened hosts often 2-4)
    max_sessions: int = 4

    @property
    def is_local(self) -> bool:
        return self.name == LOCAL


MAX_SESSIONS_LIMIT = 64


def _jump_loop(hosts: dict[str, HostConfig], name: str) -> tuple[str, ...]:
    """The chain name -> jump -> … when it comes back to a host already on it, else ()."""
    chain = [name]
    jump = hosts[name].jump
    while jump and jump in hosts:
        if jump in chain:
            return (*chain, jump)
        chain.append(jump)
        jump = hosts[jump].jump
    return ()


@dataclass(frozen=True, slots=True)
class EnvoyConfig:
    host: str = LOCAL
    admin_url: str = "http://127.0.0.1:9901"
    listener_url: str = "http://127.0.0.1:8080"
    config_path: str = "/etc/envoy/envoy.yaml"
    binary: str = ""
    cluster: str = "backend_cluster"
    access_log: str = "/var/log/envoy/access.log"
    error_log: str = "/var/log/envoy/error.log"
    unit: str = "envoy"
    reload: str = "systemd"
    reload_command: str = ""
    wrapper_pid_file: str = ""  # hot-restart: pid file written by `darc-tui envoy-wrapper`


@dataclass(frozen=True, slots=True)
class BackendConfig:
    host: str = ""  # "" = unknown / not reachable over SSH
    url: str = ""
    health_path: str = "/"

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of the backend URL."""
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return (parts.hostname or "", port)


@dataclass(frozen=True, slots=True)
class ProbesConfig:
    interval: float = 1.0
    timeout: float = 2.0


@dataclass(frozen=True, slots=True)
class UiConfig:
    theme: str = "darc"
    redact: bool = True
    read_only: bool = False
    mouse: bool = True


@dataclass(frozen=True, slots=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    hosts: Mapping[str, HostConfig] = field(default_factory=dict)
    envoy: EnvoyConfig = field(default_factory=EnvoyConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    probes: ProbesConfig = field(default_factory=ProbesConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    source: Path | None = None

    def host(self, name: str) -> HostConfig:
        if name == LOCAL:
            return HostConfig(name=LOCAL)
        return self.hosts[name]


# ---------------------------------------------------------------------------------------------
# search order


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("darc-tui")) / "config.toml"


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`-c`, `$DARC_TUI_CONFIG`, `./darc-tui.toml`, then the platform config dir."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("DARC_TUI_CONFIG")
    if env:
        return Path(env)
    for candidate in (Path("darc-tui.toml"), default_config_path()):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        "no configuration found: pass -c FILE, set DARC_TUI_CONFIG, or create ./darc-tui.toml "
        f"or {default_config_path()} (see config.example.toml); try `darc-tui demo`"
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    file = find_config(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    return parse_config(text, file)


# ---------------------------------------------------------------------------------------------
# parsing

_Checker = Callable[[Any], Any]


class _Reader:
    """Pulls typed fields out of TOML tables and phrases errors with file:line and dotted key."""

    def __init__(self, text: str, source: Path | None) -> None:
        self.lines = text.splitlines()
        self.source = source

    def fail(self, table: str, key: str | None, message: str) -> ConfigError:
        where = str(self.source) if self.source else "<config>"
        line = self.line_of(table, key)
        if line:
            where += f":{line}"
        dotted = f"{table}.{key}" if key else table
        return ConfigError(f"{where}: {dotted}: {message}")

    def line_of(self, table: str, key: str | None) -> int | None:
        """Best-effort line number of `key` inside `[table]` (tomllib only locates syntax errors)."""
        header = re.compile(r"^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
        start = None
        for i, line in enumerate(self.lines):
            if header.match(line):
                start = i
                break
        if start is None:
            return None
        if key is None:
            return start + 1
        key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for i in range(start + 1, len(self.lines)):
            if re.match(r"^\s*\[", self.lines[i]):
                break
            if key_re.match(self.lines[i]):
                return i + 1
        return start + 1

    def table(self, data: Mapping[str, Any], name: str, label: str | None = None) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(label or name, None, "expected a table")
        return value

    def build(self, cls: type, table: str, raw: Mapping[str, Any], **extra: Any) -> Any:
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = dict(extra)
        for key, value in raw.items():
            f = known.get(key)
            if f is None or key in extra or key == "source":
                allowed = ", ".join(n for n in known if n not in extra and n != "source")
                raise self.fail(table, key, f"unknown key (expected one of: {allowed})")
            kwargs[key] = self.coerce(table, key, value, f.type)
        return cls(**kwargs)

    def coerce(self, table: str, key: str, value: Any, typ: Any) -> Any:
        typ = str(typ)
        if typ == "bool":
            if not isinstance(value, bool):
                raise self.fail(table, key, "expected true or false")
            return value
        if typ == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(table, key, "expected an integer")
            return value
        if typ == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(table, key, "expected a number")
            return float(value)
        if typ == "str":
            if not isinstance(value, str):
                raise self.fail(table, key, "expected a string")
            return value
        return value


def parse_config(text: str, source: Path | None = None) -> Config:
    where = str(source) if source else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line L, column C)": lift that into file:line:col
        message = str(exc)
        at = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if at:
            where += f":{at[1]}:{at[2]}"
            message = message[: at.start()]
        elif "(at end of document)" in message:
            message = message.replace(" (at end of document)", " at the end of the file")
        raise ConfigError(f"{where}: invalid TOML: {message}") from None
    r = _Reader(text, source)
    allowed = {"site", "hosts", "envoy", "backend", "probes", "ui"}
    for key in data:
        if key not in allowed:
            raise r.fail(
                key, None, f"unknown section (expected one of: {', '.join(sorted(allowed))})"
            )

    site = r.build(SiteConfig, "site", r.table(data, "site"))
    hosts: dict[str, HostConfig] = {}
    for name, raw in r.table(data, "hosts").items():
        label = f"hosts.{name}"
        if not isinstance(raw, dict):
            raise r.fail(label, None, "expected a table")
        if name == LOCAL:
            raise r.fail(label, None, '"local" is built in and cannot be configured')
        if not _HOST_NAME.match(name):
            raise r.fail(label, None, "host names may use letters, digits, '_', '.', '-'")
        host = r.build(HostConfig, label, raw, name=name)
        if not host.address:
            host = HostConfig(**{**_asdict(host), "address": name})
        if not 0 < host.port < 65536:
            raise r.fail(label, "port", "expected a port between 1 and 65535")
        if not 1 <= host.max_sessions <= MAX_SESSIONS_LIMIT:
            raise r.fail(label, "max_sessions", f"expected a number from 1 to {MAX_SESSIONS_LIMIT}")
        hosts[name] = host
    for name, host in hosts.items():
        if host.jump and host.jump not in hosts:
            raise r.fail(
                f"hosts.{name}", "jump", f"unknown host {host.jump!r} (define [hosts.{host.jump}])"
            )
        if host.jump == name:
            raise r.fail(f"hosts.{name}", "jump", "a host cannot be its own jump host")
        loop = _jump_loop(hosts, name)
        if loop:
            raise r.fail(f"hosts.{name}", "jump", f"jump hosts form a loop: {' -> '.join(loop)}")
    envoy = r.build(EnvoyConfig, "envoy", r.table(data, "envoy"))
    backend = r.build(BackendConfig, "backend", r.table(data, "backend"))
    probes = r.build(ProbesConfig, "probes", r.table(data, "probes"))
    ui = r.build(UiConfig, "ui", r.table(data, "ui"))

    def known_host(table: str, key: str, name: str, optional: bool = False) -> None:
        if optional and not name:
            return
        if name != LOCAL and name not in hosts:
            choices = ", ".join([LOCAL, *hosts])
            raise r.fail(table, key, f"unknown host {name!r} (expected one of: {choices})")

    known_host("envoy", "host", envoy.host)
    known_host("backend", "host", backend.host, optional=True)
    for table, key, url, required in (
        ("site", "public_url", site.public_url, False),
        ("site", "origin", site.origin, False),
        ("envoy", "admin_url", envoy.admin_url, True),
        ("envoy", "listener_url", envoy.listener_url, False),
        ("backend", "url", backend.url, True),
    ):
        _check_url(r, table, key, url, required)
    if envoy.reload not in RELOAD_METHODS:
        raise r.fail("envoy", "reload", f"expected one of: {', '.join(RELOAD_METHODS)}")
    if envoy.reload == "command" and not envoy.reload_command.strip():
        raise r.fail("envoy", "reload_command", 'required when reload = "command"')
    if not envoy.cluster:
        raise r.fail("envoy", "cluster", "must not be empty")
    if not backend.health_path.startswith("/"):
        raise r.fail("backend", "health_path", "must start with '/'")
    if probes.interval <= 0 or probes.timeout <= 0:
        key = "interval" if probes.interval <= 0 else "timeout"
        raise r.fail("probes", key, "must be greater than 0")
    return Config(site, hosts, envoy, backend, probes, ui, source)


def _check_url(r: _Reader, table: str, key: str, url: str, required: bool) -> None:
    if not url:
        if required:
            raise r.fail(table, key, "required")
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise r.fail(table, key, f"expected an http:// or https:// URL, got {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise r.fail(table, key, f"bad port in {url!r}") from None


def _asdict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}
