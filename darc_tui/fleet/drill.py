"""From one fleet instance to a single-host configuration: which host to SSH to, and that Envoy's
[envoy] settings, from the [fleet] templates."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import urlsplit

from darc_tui.config import LOCAL, Config, HostConfig

_HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$")


class DrillError(Exception):
    """The instance cannot be mapped to a host; the message is one line."""


def template_fields(instance: str, job: str) -> dict[str, str]:
    """{instance}, {instance_host}, {instance_port}, {job} for one instance label value."""
    host, port = instance, ""
    parts = urlsplit(f"//{instance}")
    try:
        if parts.hostname:
            host, port = parts.hostname, str(parts.port or "")
    except ValueError:  # not host:port — the whole value is the host
        pass
    return {"instance": instance, "instance_host": host, "instance_port": port, "job": job}


def drill_config(config: Config, instance: str) -> Config:
    """`config` pointed at the Envoy behind `instance`: [envoy].host and the [fleet.envoy]
    templates filled in. The host is a [hosts] entry, "local", or an address (SSH as configured
    in ~/.ssh/config)."""
    fleet = config.fleet
    if fleet is None:
        raise DrillError("no [fleet] section")
    values = template_fields(instance, fleet.job)
    target = fleet.ssh_host.format_map(values)
    hosts = dict(config.hosts)
    if target != LOCAL and target not in hosts:
        if not _HOST_NAME.match(target):
            raise DrillError(f"{instance}: fleet.ssh_host gives {target!r}, not a host name")
        like = hosts.get(fleet.ssh_like) if fleet.ssh_like else None
        if like is not None:
            hosts[target] = dataclasses.replace(like, name=target, address=target)
        else:
            hosts[target] = HostConfig(name=target, address=target)
    overrides: dict[str, Any] = {k: t.format_map(values) for k, t in fleet.envoy.items()}
    envoy = dataclasses.replace(config.envoy, host=target, **overrides)
    site = dataclasses.replace(config.site, name=f"{config.site.name} · {instance}")
    return dataclasses.replace(config, hosts=hosts, envoy=envoy, site=site)
