"""Every runbook check, assembled from the configuration."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from darc_tui.config import Config
from darc_tui.hosts.base import Host
from darc_tui.probes.base import Probe

# One module per runbook check; each exposes `build(config, hosts) -> list[Probe]`.
PROBE_MODULES = (
    "process",
    "admin",
    "envoy_config",
    "backend_health",
    "tcp",
    "health_check",
    "cors",
    "firewall",
    "load",
    "access_log",
)


def build_probes(config: Config, hosts: Mapping[str, Host]) -> list[Probe]:
    probes: list[Probe] = []
    for name in PROBE_MODULES:
        try:
            module = importlib.import_module(f"darc_tui.probes.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"darc_tui.probes.{name}":
                raise
            continue  # not built yet
        probes.extend(module.build(config, hosts))
    return probes


__all__ = ["Probe", "build_probes"]
