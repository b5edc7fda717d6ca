"""The engine: schedules probes and log streams, feeds state, re-diagnoses, publishes snapshots.

`Engine` (engine/core.py) is the one engine of the console, `check`, `report` and the demo;
`build_engine` assembles it (hosts, probes, log sources) from a configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from darc_tui.engine.core import Engine
from darc_tui.sinks import LogSink, LogSource

if TYPE_CHECKING:
    from darc_tui.config import Config


def build_engine(config: Config, *, with_logs: bool = False) -> Engine:
    """One engine for the console (with log followers) and for `check` (probes only)."""
    from darc_tui.hosts import build_hosts
    from darc_tui.logs import build_sources
    from darc_tui.probes import build_probes

    hosts = build_hosts(config)
    probes = build_probes(config, hosts)
    sources: list[LogSource] = list(build_sources(config, hosts)) if with_logs else []
    return Engine(config, hosts, probes, sources)


__all__ = ["Engine", "LogSink", "LogSource", "build_engine"]
