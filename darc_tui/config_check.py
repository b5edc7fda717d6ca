"""`darc-tui config check`: validate the configuration (and envoy.yaml) and say what was found."""

from __future__ import annotations

import asyncio
import sys

from darc_tui.config import LOCAL, Config, ConfigError, find_config, load_config
from darc_tui.hosts import build_hosts
from darc_tui.parse.envoy_yaml import parse_envoy_yaml
from darc_tui.probes.envoy_config import read_config
from darc_tui.redact import redact_text
from darc_tui.sanitize import clean


def _url(url: str) -> str:
    """A configured URL as shown: `user:password@` never printed."""
    return redact_text(url) if url else url


def describe(config: Config) -> list[str]:
    """Human summary of the settings: hosts, Envoy, backend, probes, UI."""
    lines = [
        f"site      {config.site.name}: public URL {_url(config.site.public_url) or '(none)'}, "
        f"CORS origin {config.site.origin or '(none: CORS not checked)'}"
    ]
    lines.append("hosts     local (built in)")
    for h in config.hosts.values():
        via = f" via {h.jump}" if h.jump else ""
        who = f"{h.user}@" if h.user else ""
        kh = h.known_hosts or "~/.ssh/known_hosts"
        sudo = ", sudo -n allowed" if h.sudo else ""
        lines.append(
            f"          {h.name}: ssh {who}{h.address}:{h.port}{via} (known_hosts {kh}{sudo}, "
            f"at most {h.max_sessions} SSH sessions)"
        )
    e = config.envoy
    lines.append(
        f"envoy     on {e.host}: admin {_url(e.admin_url)}, listener {_url(e.listener_url) or '(none)'}, "
        f"cluster {e.cluster}"
    )
    lines.append(
        f"          config {e.config_path}, reload {e.reload}"
        + (f" ({redact_text(e.reload_command)})" if e.reload == "command" else "")
        + (", read-only" if config.ui.read_only else "")
    )
    lines.append(
        f"          logs: access {e.access_log or '-'}, error {e.error_log or '-'}, "
        f"journal unit {e.unit or '-'}"
    )
    b = config.backend
    host, port = b.address
    lines.append(
        f"backend   {_url(b.url)} (health {b.health_path}) on {b.host or 'an unmanaged host'}"
    )
    lines.append(f"probes    every {config.probes.interval:g}s, timeout {config.probes.timeout:g}s")
    if host and port:
        pass
    return lines


async def _envoy_yaml_report(config: Config) -> tuple[bool, list[str]]:
    """Read envoy.yaml on the Envoy host and compare it with the darc-tui settings."""
    hosts = build_hosts(config)
    host = hosts[config.envoy.host]
    where = "" if config.envoy.host == LOCAL else f" on {config.envoy.host}"
    try:  # bounded in size (head -c) and time: a 400 MB file or /dev/zero is refused, not read
        text, why = await read_config(host, config.envoy.config_path, config.probes.timeout * 3)
    finally:
        await asyncio.gather(*(h.close() for h in hosts.values()), return_exceptions=True)
    if why:
        return True, [f"envoy.yaml {config.envoy.config_path}{where}: not read ({why})"]
    summary = await asyncio.to_thread(parse_envoy_yaml, text, source=config.envoy.config_path)
    if summary.error:
        return False, [f"envoy.yaml {summary.error}"]
    lines = [f"envoy.yaml {config.envoy.config_path}{where}: {summary.describe()}"]
    cluster = summary.cluster(config.envoy.cluster)
    ok = True
    if cluster is None:
        names = ", ".join(c.name for c in summary.clusters) or "none"
        lines.append(f"  ✗ cluster {config.envoy.cluster!r} not in envoy.yaml (clusters: {names})")
        ok = False
    else:
        want = config.backend.address
        eps = [f"{a}:{p}" for a, p in cluster.endpoints]
        mark = "✓" if any((a, p) == want for a, p in cluster.endpoints) else "!"
        lines.append(
            f"  {mark} cluster {cluster.name} endpoints {', '.join(eps) or 'none'} "
            f"(backend.url is {want[0]}:{want[1]})"
        )
    return ok, lines


def run_config_check(path: str | None) -> int:
    try:
        file = find_config(path)
        config = load_config(file)
    except ConfigError as exc:
        print(f"darc-tui: {exc}", file=sys.stderr)
        return 2
    print(f"{file}: valid")
    for line in describe(config):
        print(f"  {clean(line)}")
    try:
        ok, lines = asyncio.run(_envoy_yaml_report(config))
    except Exception as exc:  # the host may be unreachable: say so, the config itself is fine
        ok, lines = True, [f"envoy.yaml: not checked ({type(exc).__name__}: {exc})"]
    for line in lines:
        print(f"  {clean(line)}")  # names from envoy.yaml are outside text
    return 0 if ok else 1
