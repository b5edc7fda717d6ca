"""Assemble the engine (hosts, probes, log sources, monitor) from a configuration."""

from __future__ import annotations

from darc_tui.config import Config
from darc_tui.hosts import build_hosts
from darc_tui.logs import build_sources
from darc_tui.monitor import LogSource, Monitor
from darc_tui.probes import build_probes


def build_engine(config: Config, *, with_logs: bool = False) -> Monitor:
    """One engine for the console (with log followers) and for `check` (probes only)."""
    hosts = build_hosts(config)
    probes = build_probes(config, hosts)
    sources: list[LogSource] = list(build_sources(config, hosts)) if with_logs else []
    return Monitor(config, hosts, probes, sources)
