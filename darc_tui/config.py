"""TOML configuration → frozen, typed settings. Every error is one line naming file, line and key."""

from __future__ import annotations

import math
import os
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOCAL = "local"
RELOAD_METHODS = ("systemd", "hot-restart", "command")
_HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


CONFIG_FILE_LIMIT = 1024 * 1024  # bytes
# seconds: a round every 50 ms at most, once an hour at least (interval = 1e308 hung `check`)
INTERVAL_RANGE = (0.05, 3600.0)
TIMEOUT_RANGE = (0.001, 600.0)
MAX_SESSIONS_LIMIT = 64  # hosts.NAME.max_sessions; sshd's own default MaxSessions is 10


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


@dataclass(frozen=True, slots=True)
class EnvoyConfig:
    host: str = LOCAL
    admin_url: str = "http://127.0.0.1:9901"
    listener_url: str = "http://127.0.0.1:8080"
    # The site's identity on requests to listener_url (like `curl --connect-to`): the Host header
    # and TLS SNI ("" = the host of site.public_url), the CA that signed the listener's
    # certificate ("" = the system CAs), and whether to verify it at all.
    listener_host: str = ""
    listener_ca: str = ""
    listener_verify: bool = True
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
    version_header: str = ""  # a response header that names the deployed version, e.g. x-version
    version_field: str = ""  # or a field of the JSON health body, dotted: "build.version"

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
    # while the site is healthy and nothing changes, probes other than the site's own URL run at
    # most this often (0 = always at `interval`); any change restores `interval` at once
    calm_interval: float = 10.0


@dataclass(frozen=True, slots=True)
class DeployConfig:
    """Before/after comparison around deploy markers (seconds; after = 0 means until now)."""

    before: float = 300.0
    after: float = 0.0
    settle: float = 5.0  # the first seconds after a marker are the restart itself, not its result
    max_5xx_rate: float = 0.01  # a 5xx share above this after a deploy (and above before) regressed


@dataclass(frozen=True, slots=True)
class UiConfig:
    theme: str = "darc"
    redact: bool = True
    read_only: bool = False
    mouse: bool = True
    # binding id → keys, e.g. { reload = "f5", pane_1 = "f1,1" } (ids: `?` help, darc_tui/ui/keys.py)
    keymap: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """[fleet]: many Envoys read through a Prometheus-compatible query API."""

    prometheus_url: str = ""  # may carry a path prefix (hosted Prometheus-compatible services)
    job: str = "envoy"
    instance_label: str = "instance"
    # templates over {instance}, {instance_host}, {instance_port}, {job}: where to drill down
    ssh_host: str = "{instance_host}"  # a [hosts] entry or an address
    # an address from ssh_host inherits this [hosts] entry's user, port, jump, keys, sudo (e.g.
    # every Envoy host behind one bastion); "" = only ~/.ssh/config applies
    ssh_like: str = ""
    # [fleet.envoy]: per-Envoy templates over [envoy]'s string keys for the drill-down, e.g.
    # admin_url = "http://127.0.0.1:{instance_port}"; unset keys come from [envoy]
    envoy: Mapping[str, str] = field(default_factory=dict)
    refresh: float = 5.0  # seconds between fleet samples
    rate_window: float = 0.0  # seconds; 0 = 4 scrape intervals (from /api/v1/targets), else 60
    timeout: float = 5.0  # per request to Prometheus
    max_5xx_per_s: float = 0.1  # fleet.errors above this (per Envoy)
    # authentication / TLS for hosted services
    headers: Mapping[str, str] = field(default_factory=dict)
    username: str = ""
    password: str = ""
    password_file: str = ""
    bearer_token_file: str = ""
    ca_file: str = ""
    verify: bool = True
    cert_file: str = ""
    key_file: str = ""


FLEET_TEMPLATE_FIELDS = ("instance", "instance_host", "instance_port", "job")


@dataclass(frozen=True, slots=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    hosts: Mapping[str, HostConfig] = field(default_factory=dict)
    envoy: EnvoyConfig = field(default_factory=EnvoyConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    probes: ProbesConfig = field(default_factory=ProbesConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    source: Path | None = None
    fleet: FleetConfig | None = None  # None: no [fleet] section
    deploy: DeployConfig = field(default_factory=DeployConfig)

    @property
    def listener_identity(self) -> str:
        """`host[:port]` requests to envoy.listener_url carry (Host header; SNI without the port):
        envoy.listener_host, else the host of site.public_url, else "" (the URL's own)."""
        if self.envoy.listener_host:
            return self.envoy.listener_host
        parts = urlsplit(self.site.public_url)
        return parts.netloc.rpartition("@")[2] if parts.hostname else ""

    def host(self, name: str) -> HostConfig:
        if name == LOCAL:
            return HostConfig(name=LOCAL)
        return self.hosts[name]


# ---------------------------------------------------------------------------------------------
# search order


def default_config_path() -> Path:
    import platformdirs  # only when no config was named: its import is a tenth of start-up

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
        with file.open("rb") as f:  # bounded: `-c /dev/zero` must not read forever
            data = f.read(CONFIG_FILE_LIMIT + 1)
        if len(data) > CONFIG_FILE_LIMIT:
            raise ConfigError(f"{file}: larger than {CONFIG_FILE_LIMIT // 1024} KiB: not a config")
        text = data.decode("utf-8")
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
            if not math.isfinite(value):  # TOML accepts inf and nan
                raise self.fail(table, key, f"expected a finite number, got {value}")
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
    allowed = {"site", "hosts", "envoy", "backend", "probes", "ui", "fleet", "deploy"}
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
            raise r.fail(f"hosts.{name}", "jump", f"jump hosts form a loop: {' → '.join(loop)}")
    envoy = r.build(EnvoyConfig, "envoy", r.table(data, "envoy"))
    backend = r.build(BackendConfig, "backend", r.table(data, "backend"))
    probes = r.build(ProbesConfig, "probes", r.table(data, "probes"))
    ui = r.build(UiConfig, "ui", r.table(data, "ui"))
    _check_keymap(r, ui.keymap)
    deploy = r.build(DeployConfig, "deploy", r.table(data, "deploy"))

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
    envoy = _check_listener_identity(r, envoy, source)
    if not backend.health_path.startswith("/"):
        raise r.fail("backend", "health_path", "must start with '/'")
    for key, value, low, high in (
        ("interval", probes.interval, *INTERVAL_RANGE),
        ("timeout", probes.timeout, *TIMEOUT_RANGE),
    ):
        if not low <= value <= high:
            raise r.fail("probes", key, f"expected {low:g} to {high:g} seconds, got {value:g}")
    if not 0 <= probes.calm_interval <= INTERVAL_RANGE[1]:  # also refuses nan
        high = INTERVAL_RANGE[1]
        raise r.fail("probes", "calm_interval", f"expected 0 (off) to {high:g} seconds")
    for key in ("before", "after", "settle", "max_5xx_rate"):
        if not 0 <= getattr(deploy, key) < float("inf"):  # also refuses nan
            raise r.fail("deploy", key, "expected a finite number, not negative")
    if deploy.before <= 0:
        raise r.fail("deploy", "before", "must be greater than 0")
    fleet = _fleet(r, data, hosts) if "fleet" in data else None
    return Config(site, hosts, envoy, backend, probes, ui, source, fleet=fleet, deploy=deploy)


_KEY = re.compile(r"[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*")  # a Textual key name: f5, ctrl+r


def _check_keymap(r: _Reader, keymap: object) -> None:
    """A table of binding id → Textual key names (`"f5"`, `"ctrl+r"`, several joined by commas)."""
    if not isinstance(keymap, dict):
        raise r.fail("ui", "keymap", 'expected a table of binding id = "keys" ({ reload = "f5" })')
    for binding, keys in keymap.items():
        if not isinstance(keys, str) or not all(_KEY.fullmatch(k.strip()) for k in keys.split(",")):
            raise r.fail("ui", "keymap", f'{binding}: expected key names like "f5" or "ctrl+r,f5"')


def _fleet(r: _Reader, data: Mapping[str, Any], hosts: Mapping[str, HostConfig]) -> FleetConfig:
    raw = r.table(data, "fleet")
    fleet: FleetConfig = r.build(FleetConfig, "fleet", raw)
    _check_url(r, "fleet", "prometheus_url", fleet.prometheus_url, True)
    if not fleet.job:
        raise r.fail("fleet", "job", "must not be empty")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", fleet.instance_label):
        raise r.fail("fleet", "instance_label", "expected a Prometheus label name")
    for key in ("refresh", "timeout"):
        if getattr(fleet, key) <= 0:
            raise r.fail("fleet", key, "must be greater than 0")
    for key in ("rate_window", "max_5xx_per_s"):
        if getattr(fleet, key) < 0:
            raise r.fail("fleet", key, "must not be negative")
    if not isinstance(fleet.headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in fleet.headers.items()
    ):
        raise r.fail("fleet", "headers", 'expected a table of strings ({ "X-Scope-OrgID" = "…" })')
    if fleet.password and fleet.password_file:
        raise r.fail("fleet", "password_file", "set password or password_file, not both")
    if (fleet.username or fleet.password or fleet.password_file) and fleet.bearer_token_file:
        raise r.fail(
            "fleet", "bearer_token_file", "basic auth and a bearer token exclude each other"
        )
    if bool(fleet.cert_file) != bool(fleet.key_file):
        raise r.fail("fleet", "key_file" if fleet.cert_file else "cert_file", "set both or neither")
    _check_template(r, "fleet", "ssh_host", fleet.ssh_host)
    if fleet.ssh_like and fleet.ssh_like not in hosts:
        choices = ", ".join(hosts) or "none defined"
        raise r.fail("fleet", "ssh_like", f"unknown host {fleet.ssh_like!r} (hosts: {choices})")
    if not isinstance(fleet.envoy, dict):
        raise r.fail("fleet.envoy", None, "expected a table")
    templated = [f.name for f in fields(EnvoyConfig) if f.type == "str"]
    for key, value in fleet.envoy.items():
        if key not in templated:
            raise r.fail(
                "fleet.envoy", key, f"unknown key (expected one of: {', '.join(templated)})"
            )
        if not isinstance(value, str):
            raise r.fail("fleet.envoy", key, "expected a string")
        _check_template(r, "fleet.envoy", key, value)
    if not fleet.ssh_host:
        raise r.fail("fleet", "ssh_host", "must not be empty")
    return fleet


def _check_template(r: _Reader, table: str, key: str, template: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise r.fail(table, key, f"bad template {template!r}: {exc}") from None
    for name in names:
        if name not in FLEET_TEMPLATE_FIELDS:
            allowed = ", ".join("{" + n + "}" for n in FLEET_TEMPLATE_FIELDS)
            raise r.fail(table, key, f"unknown placeholder {{{name}}} (expected {allowed})")


def _check_url(r: _Reader, table: str, key: str, url: str, required: bool) -> None:
    if not url:
        if required:
            raise r.fail(table, key, "required")
        return
    try:
        parts = urlsplit(url)  # raises on e.g. "http://[::1" (an unclosed IPv6 bracket)
    except ValueError as exc:
        raise r.fail(table, key, f"not a valid URL ({exc}): {_shown(url)}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise r.fail(table, key, f"expected an http:// or https:// URL, got {_shown(url)}")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise r.fail(table, key, f"bad port in {_shown(url)}") from None


def _shown(url: str) -> str:
    """The URL for an error line, its password masked (darc_tui.redact loads only on an error:
    it pulls in the model, which the console's first frame does not need)."""
    from darc_tui.redact import redact_text

    return repr(redact_text(url))


def _jump_loop(hosts: Mapping[str, HostConfig], start: str) -> list[str]:
    """The chain of jump hosts from `start` when it comes back to a host already on it, else []."""
    chain = [start]
    name = hosts[start].jump
    while name and name in hosts:
        if name in chain:
            return [*chain[chain.index(name) :], name]
        chain.append(name)
        name = hosts[name].jump
    return []


_AUTHORITY = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?$")


def _check_listener_identity(r: _Reader, envoy: EnvoyConfig, source: Path | None) -> EnvoyConfig:
    """Validated listener identity; a relative listener_ca is read next to the config file."""
    if envoy.listener_host and not _AUTHORITY.match(envoy.listener_host):
        raise r.fail(
            "envoy", "listener_host", "expected a host name or host:port, no scheme or path"
        )
    if envoy.listener_ca:
        ca = Path(envoy.listener_ca).expanduser()
        if not ca.is_absolute() and source is not None:
            ca = source.parent / ca
        if not ca.is_file():
            raise r.fail("envoy", "listener_ca", f"no such file: {ca}")
        return replace(envoy, listener_ca=str(ca))
    return envoy


def _asdict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}
