"""What a reload will run on the Envoy host, per method, or why that method cannot work there.

hot-restart: `kill -HUP <pid>` of darc-tui's envoy-wrapper (read from envoy.wrapper_pid_file),
only after checking that the pid really is the wrapper: Envoy itself ignores SIGHUP ("caught and
eating SIGHUP"), so signalling a bare Envoy would report success and reload nothing.
systemd: `systemctl reload UNIT`. command: envoy.reload_command split like a shell, run as argv.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from enum import StrEnum

from darc_tui.actions.wrapper_status import (
    WrapperState,
    WrapperStatus,
    parse_status,
    status_path_for,
)
from darc_tui.config import Config
from darc_tui.hosts.base import Host
from darc_tui.parse.ps import is_envoy, is_wrapper

WRAPPER_MODULE = "darc_tui.actions.wrapper"
WRAPPER_COMMAND = "envoy-wrapper"


class Method(StrEnum):
    HOT_RESTART = "hot-restart"
    SYSTEMD = "systemd"
    COMMAND = "command"


class ProcessKind(StrEnum):
    WRAPPER = "darc-tui envoy-wrapper"
    ENVOY = "envoy"
    HOT_RESTARTER = "hot-restarter.py"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Target:
    """The argv a reload runs on the Envoy host, or the reason it must not run."""

    action: tuple[str, ...] = ()
    refusal: str = ""
    wrapper: WrapperStatus | None = None  # hot-restart: the wrapper's status before the reload
    envoy_pid: int | None = None  # the serving Envoy, when known (for its binary)


def classify(cmdline: list[str]) -> ProcessKind:
    """What a process is, from its argv (/proc/PID/cmdline)."""
    if WRAPPER_MODULE in cmdline or WRAPPER_COMMAND in cmdline[:4]:
        return ProcessKind.WRAPPER
    if is_wrapper(cmdline):  # the other wrapper ps knows: Envoy's hot-restarter.py
        return ProcessKind.HOT_RESTARTER
    return ProcessKind.ENVOY if is_envoy(cmdline) else ProcessKind.OTHER


def sudo_prefix(config: Config) -> tuple[str, ...]:
    return ("sudo", "-n") if config.host(config.envoy.host).sudo else ()


async def resolve_target(host: Host, config: Config, *, timeout: float) -> Target:
    method = Method(config.envoy.reload)
    if method is Method.SYSTEMD:
        unit = config.envoy.unit
        if not unit:
            return Target(refusal='envoy.unit is empty: reload = "systemd" needs the unit name')
        return Target(action=(*sudo_prefix(config), "systemctl", "reload", unit))
    if method is Method.COMMAND:
        try:
            argv = tuple(shlex.split(config.envoy.reload_command))
        except ValueError as exc:
            return Target(refusal=f"envoy.reload_command cannot be split like a shell: {exc}")
        if not argv:
            return Target(refusal='envoy.reload_command is empty (reload = "command")')
        return Target(action=argv)
    return await _hot_restart_target(host, config, timeout=timeout)


async def _hot_restart_target(host: Host, config: Config, *, timeout: float) -> Target:
    pid_file = config.envoy.wrapper_pid_file
    if not pid_file:
        return Target(
            refusal="envoy.wrapper_pid_file is not set: a hot restart needs the pid of "
            "`darc-tui envoy-wrapper` (kill -HUP on Envoy itself reloads nothing: "
            "Envoy ignores SIGHUP)"
        )
    read = await host.run(["cat", pid_file], timeout=timeout)
    if not read.ok:
        return Target(refusal=f"cannot read the wrapper pid file {pid_file}: {read.why()}")
    words = read.text().split()
    if not words or not words[0].isdigit():
        return Target(refusal=f"{pid_file} does not hold a pid: {read.text()[:40]!r}")
    pid = int(words[0])
    cmdline = await host.run(["cat", f"/proc/{pid}/cmdline"], timeout=timeout)
    if not cmdline.ok or not cmdline.stdout:
        return Target(refusal=f"no process {pid} is running (stale pid file {pid_file}?)")
    argv = [a.decode("utf-8", "replace") for a in cmdline.stdout.split(b"\0") if a]
    refusal = _not_a_wrapper(pid, classify(argv), argv)
    if refusal:
        return Target(refusal=refusal)
    status_file = status_path_for(pid_file)
    read = await host.run(["cat", status_file], timeout=timeout)
    status = parse_status(read.text()) if read.ok else None
    if status is None:
        return Target(refusal=f"cannot read the wrapper status {status_file}: {read.why()}")
    if status.wrapper_pid != pid:
        return Target(refusal=f"{status_file} belongs to pid {status.wrapper_pid}, not {pid}")
    if status.state is WrapperState.RESTARTING:
        return Target(refusal=f"a reload is already under way (epoch {status.epoch + 1})")
    action = (*sudo_prefix(config), "kill", "-HUP", str(pid))
    return Target(action=action, wrapper=status, envoy_pid=status.pid)


def _not_a_wrapper(pid: int, kind: ProcessKind, argv: list[str]) -> str:
    shown = shlex.join(argv)[:120]
    if kind is ProcessKind.WRAPPER:
        return ""
    if kind is ProcessKind.ENVOY:
        return (
            f"pid {pid} is Envoy itself ({shown}), not darc-tui's envoy-wrapper: Envoy ignores "
            "SIGHUP, so kill -HUP would reload nothing. Run Envoy under `darc-tui envoy-wrapper "
            '--pid-file FILE -- envoy …`, or set reload = "systemd" or "command"'
        )
    if kind is ProcessKind.HOT_RESTARTER:
        return (
            f"pid {pid} is Envoy's hot-restarter.py: when a new epoch fails it kills every "
            "Envoy, taking the site down; run Envoy under `darc-tui envoy-wrapper` instead"
        )
    return f"pid {pid} is not darc-tui's envoy-wrapper: {shown}"


async def envoy_binary(host: Host, config: Config, pid: int | None, *, timeout: float) -> str:
    """The configured binary, else the running Envoy's executable, else `envoy` on PATH."""
    if config.envoy.binary:
        return config.envoy.binary
    if pid is None:
        found = await host.run(["pgrep", "-o", "-x", "envoy"], timeout=timeout)
        words = found.text().split() if found.ok else []
        pid = int(words[0]) if words and words[0].isdigit() else None
    if pid is not None:
        exe = await host.run(["readlink", "-f", f"/proc/{pid}/exe"], timeout=timeout)
        if exe.ok and exe.text().strip():
            return exe.text().strip()
    return "envoy"
