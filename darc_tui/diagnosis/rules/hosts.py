"""The hosts darc-tui observes from: an SSH host it cannot use leaves its checks blind."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from darc_tui.config import LOCAL
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context, ssh_argv
from darc_tui.ids import CauseId, ProbeId
from darc_tui.model import EvidenceRef, Finding, Vantage


def unreachable(ctx: Context) -> Iterator[Finding]:
    """One finding per configured Envoy/backend host whose SSH connection is down.

    Without it, a dead SSH link would read as "no cause" (verdict ok): everything measured from
    that host is ERROR, which the other rules rightly refuse to interpret.
    """
    config = ctx.config
    roles = {config.envoy.host: ("Envoy host", Vantage.ENVOY_HOST)}
    if config.backend.host:
        roles.setdefault(config.backend.host, ("backend host", Vantage.BACKEND_HOST))
    for host in ctx.state.hosts():
        if host.name == LOCAL or host.connected or not host.detail.startswith("down"):
            continue
        if host.name not in roles or host.name not in config.hosts:
            continue
        role, vantage = roles[host.name]
        hc = config.hosts[host.name]
        why = host.detail.removeprefix("down:").strip()
        target = f"{hc.user + '@' if hc.user else ''}{hc.address}"
        steps = [shlex.join([*ssh_argv(config, host.name), "true"])]
        if "host key" in why.lower():
            steps += host_key_steps(hc.address, hc.port, hc.known_hosts)
        yield finding(
            CauseId.HOST_UNREACHABLE,
            0.9,
            f"cannot reach the {role} {host.name} ({target}:{hc.port}) over SSH: {why}; "
            f"the checks that run there are blind until it is back",
            [EvidenceRef(ProbeId.HOST_SSH, host.name, vantage, host.since, host.detail)],
            ["envoy.down / backend.down: nothing could be observed from that host"],
            steps,
        )


def host_key_steps(address: str, port: int, known_hosts: str) -> list[str]:
    """Compare fingerprints; never suggest trusting whatever key answers (`ssh-keyscan >>`)."""
    name = address if port == 22 else f"[{address}]:{port}"
    file = shlex.quote(known_hosts) if known_hosts else "~/.ssh/known_hosts"
    return [
        f"ssh-keygen -l -F {shlex.quote(name)} -f {file}  # the fingerprint you trusted",
        f"{shlex.join(['ssh-keyscan', '-p', str(port), address])} 2>/dev/null | ssh-keygen -l -f -"
        "  # the one it shows now: compare both with `ssh-keygen -l -f /etc/ssh/ssh_host_*.pub` "
        "run on the host's console before you change known_hosts",
    ]
