"""Every runbook check, assembled from the configuration."""

from __future__ import annotations

from collections.abc import Mapping

from darc_tui.config import Config
from darc_tui.hosts.base import Host
from darc_tui.probes import (
    access_log,
    admin,
    backend_health,
    cors,
    envoy_config,
    firewall,
    health_check,
    load,
    process,
    tcp,
)
from darc_tui.probes.base import AnyProbe, Probe

# One module per runbook check; each exposes `build(config, hosts) -> list[AnyProbe]`.
PROBE_MODULES = (
    process,
    admin,
    envoy_config,
    backend_health,
    tcp,
    health_check,
    cors,
    firewall,
    load,
    access_log,
)


def build_probes(config: Config, hosts: Mapping[str, Host]) -> list[AnyProbe]:
    return [probe for module in PROBE_MODULES for probe in module.build(config, hosts)]


__all__ = ["PROBE_MODULES", "Probe", "build_probes"]
