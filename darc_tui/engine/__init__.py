"""The engine: schedules probes and log streams, feeds state, re-diagnoses, publishes snapshots.

`Engine` (engine/core.py) is the one engine of the console, `check`, `report` and the demo;
`build_engine` assembles it (hosts, probes, log sources) from a configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from darc_tui.engine.core import Engine
from darc_tui.sinks import LogSink, LogSource

if TYPE_CHECKING:
    from collections.abc import Mapping

    from darc_tui.config import Config
    from darc_tui.hosts.base import Host


def build_engine(config: Config, *, with_logs: bool = False) -> Engine:
    """One engine for the console (with log followers) and for `check` (probes only)."""
    from darc_tui.hosts import build_hosts

    return engine_for(config, build_hosts(config), with_logs=with_logs)


def engine_for(config: Config, hosts: Mapping[str, Host], *, with_logs: bool) -> Engine:
    """The engine on these hosts. With log followers, the access-log probe is left out: the
    follower counts the same window (same evidence id and target) from every line as it
    arrives, where the probe read the file's last 256 KiB again every few seconds."""
    from darc_tui.ids import ProbeId
    from darc_tui.logs import build_sources
    from darc_tui.logs.sources import AccessLogSource
    from darc_tui.probes import build_probes

    probes = build_probes(config, hosts)
    sources: list[LogSource] = list(build_sources(config, hosts)) if with_logs else []
    if any(isinstance(s, AccessLogSource) for s in sources):
        probes = [p for p in probes if p.name != ProbeId.ENVOY_ACCESS_LOG]
    return Engine(config, dict(hosts), probes, sources)


__all__ = ["Engine", "LogSink", "LogSource", "build_engine", "engine_for"]
