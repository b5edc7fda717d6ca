"""The Envoy configuration as the rules read it: running (/config_dump) or on disk (envoy.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from darc_tui.diagnosis.views import known
from darc_tui.model import Evidence
from darc_tui.parse.envoy_summary import ClusterSummary, EnvoySummary, ListenerSummary


@dataclass(frozen=True, slots=True)
class ConfigView:
    ev: Evidence
    summary: EnvoySummary
    cluster: ClusterSummary | None  # None = the configured cluster is not in this config

    @property
    def listener_ports(self) -> tuple[int, ...]:
        return self.summary.listener_ports

    @property
    def admin_port(self) -> int | None:
        return self.summary.admin_port

    @property
    def listeners(self) -> tuple[ListenerSummary, ...]:
        return self.summary.listeners


def config_view(ev: Evidence | None, cluster: str) -> ConfigView | None:
    """None unless the probe read a configuration (a YAML error is config.invalid's business)."""
    if ev is None or not known(ev) or not isinstance(ev.data, EnvoySummary) or ev.data.error:
        return None
    return ConfigView(ev, ev.data, ev.data.cluster(cluster))
