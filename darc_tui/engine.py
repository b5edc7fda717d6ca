"""Assemble the engine (hosts, probes, log sources, monitor) from a configuration."""

from __future__ import annotations

import importlib

from darc_tui.config import Config
from darc_tui.hosts import build_hosts
from darc_tui.monitor import LogSource, Monitor
from darc_tui.probes import build_probes


def build_engine(config: Config, *, with_logs: bool = False) -> Monitor:
    """One engine for the console (with log followers) and for `check` (probes only)."""
    hosts = build_hosts(config)
    probes = build_probes(config, hosts)
    sources: list[LogSource] = []
    if with_logs:
        try:
            logs = importlib.import_module("darc_tui.logs")
        except ModuleNotFoundError:
            logs = None
        if logs is not None and hasattr(logs, "build_sources"):
            sources = list(logs.build_sources(config, hosts))
    return Monitor(config, hosts, probes, sources)
