"""Next-step commands with the real values filled in, phrased as the engineer types them."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from darc_tui.diagnosis.context import Context


def admin(ctx: Context, path: str, grep: str = "") -> str:
    """`curl` of a read-only admin endpoint, run where the admin listens (the Envoy host)."""
    cmd = f"curl -s {shlex.quote(ctx.admin_url + path)}"
    if grep:
        cmd += f" | grep -E {shlex.quote(grep)}"
    return ctx.on_envoy_host(cmd)


def cluster_hosts(ctx: Context) -> str:
    return admin(ctx, "/clusters", f"^{ctx.cluster}::")


def cluster_stats(ctx: Context, *names: str) -> str:
    alternatives = "|".join(names)
    return admin(ctx, "/stats", f"cluster\\.{ctx.stat_name}\\.({alternatives})")


def curl_from_envoy(ctx: Context, url: str, *flags: str) -> str:
    args = " ".join(flags)
    return ctx.on_envoy_host(f"curl -sv {args + ' ' if args else ''}{shlex.quote(url)}")


def nc_from_envoy(ctx: Context, host: str, port: int | None) -> str:
    """The runbook's plain TCP connect to one host, from the Envoy host."""
    return ctx.on_envoy_host(f"nc -zv -w 2 {shlex.quote(host)} {port or ''}".rstrip())


def listening(ctx: Context, ports: Iterable[int], where: str = "envoy") -> str | None:
    alternatives = "|".join(str(p) for p in dict.fromkeys(ports))
    cmd = f"ss -tlnp | grep -E ':({alternatives})\\b'"
    if where == "backend":
        return ctx.on_backend_host(cmd)
    return ctx.on_envoy_host(cmd)


def firewall(ctx: Context, port: int) -> str:
    return ctx.on_envoy_host(f"iptables -S | grep -w {port}; nft list ruleset | grep -w {port}")


def config_grep(ctx: Context, pattern: str) -> str:
    path = shlex.quote(ctx.config.envoy.config_path)
    return ctx.on_envoy_host(f"grep -n -E {shlex.quote(pattern)} {path}")


def validate(ctx: Context) -> str:
    binary = ctx.config.envoy.binary or "envoy"
    path = shlex.quote(ctx.config.envoy.config_path)
    return ctx.on_envoy_host(f"{shlex.quote(binary)} --mode validate -c {path}")


def reload(ctx: Context) -> str:
    """How this site reloads Envoy (after validating)."""
    envoy = ctx.config.envoy
    if envoy.reload == "systemd" and envoy.unit:
        return ctx.on_envoy_host(f"systemctl reload {shlex.quote(envoy.unit)}")
    if envoy.reload == "command" and envoy.reload_command:
        return ctx.on_envoy_host(envoy.reload_command)
    return "darc-tui reload  # hot restart with --restart-epoch; Envoy ignores SIGHUP"


def service_status(ctx: Context) -> list[str]:
    unit = ctx.config.envoy.unit
    if unit:
        quoted = shlex.quote(unit)
        return [
            ctx.on_envoy_host(f"systemctl status {quoted}"),
            ctx.on_envoy_host(f"journalctl -u {quoted} -n 50 --no-pager"),
        ]
    return [ctx.on_envoy_host("pgrep -a envoy")]


def on_backend(ctx: Context, command: str, note: str = "") -> str:
    """A command for the backend host (or a note saying where to run it)."""
    comment = f"  # {note}" if note else ""
    remote = ctx.on_backend_host(command)
    if remote is not None:
        return remote + comment
    if ctx.backend_is_local_to_envoy:
        return ctx.on_envoy_host(command) + comment
    return f"{command}  # on the backend host{', ' + note if note else ''}"
