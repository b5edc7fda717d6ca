"""The fleet as read from Prometheus: one row per Envoy, one spread per cluster, immutable."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

from darc_tui.model import Finding

# Envoy's server.state gauge (envoy/server/instance.h: Init::Manager states as exported)
SERVER_STATES = {0: "LIVE", 1: "DRAINING", 2: "PRE_INITIALIZING", 3: "INITIALIZING"}
# Envoy's default healthy_panic_threshold: below this share of healthy hosts a cluster routes to
# every host (lb_healthy_panic) — the hosts are as good as gone for the requests that hit them.
PANIC_SHARE = 0.5


class Scrape(StrEnum):
    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"  # Prometheus knows the target but has not scraped it yet


class Severity(IntEnum):
    """How bad an Envoy looks, worst first (the fleet table's sort order)."""

    DOWN = 0
    NOT_LIVE = 1
    CLUSTER_UNHEALTHY = 2
    ERRORS = 3
    OVERFLOW = 4
    PANIC = 5
    OK = 6
    NO_DATA = 7


@dataclass(frozen=True, slots=True)
class ClusterHealth:
    """One cluster as one Envoy sees it. None = no sample (e.g. rates need ≥ 2 scrapes)."""

    name: str
    healthy: int | None
    total: int | None
    rq_5xx_per_s: float | None = None
    connect_fail_per_s: float | None = None
    overflow_per_s: float | None = None
    panic_per_s: float | None = None

    @property
    def share(self) -> float:
        """Healthy share of the hosts (0 with no hosts; 1 when unknown)."""
        if self.healthy is None or self.total is None:
            return 1.0
        return self.healthy / self.total if self.total else 0.0

    @property
    def unhealthy(self) -> bool:
        """No host, fewer healthy than the panic share, or some down while routing in panic
        (a cluster's own panic threshold may be above the default; a rate that lingers after
        every host came back is history, not state)."""
        if self.total is None or self.healthy is None:
            return False
        in_panic = (self.panic_per_s or 0) > 0 and self.healthy < self.total
        return self.total == 0 or self.share < PANIC_SHARE or in_panic


@dataclass(frozen=True, slots=True)
class EnvoyRow:
    """One Envoy (one value of the instance label)."""

    instance: str
    scrape: Scrape
    scrape_error: str = ""
    live: bool | None = None
    state: int | None = None
    epoch: int | None = None
    uptime_s: float | None = None
    version: float | None = None
    clusters: tuple[ClusterHealth, ...] = ()
    rq_5xx_per_s: float | None = None
    connect_fail_per_s: float | None = None
    overflow_per_s: float | None = None
    panic_per_s: float | None = None

    @property
    def up(self) -> bool:
        return self.scrape is Scrape.UP

    @property
    def state_name(self) -> str:
        if self.state is None:
            return "?"
        return SERVER_STATES.get(self.state, str(self.state))

    @property
    def worst_cluster(self) -> ClusterHealth | None:
        """The cluster with the smallest healthy share (then most 5xx, then by name)."""
        if not self.clusters:
            return None
        return min(self.clusters, key=lambda c: (c.share, -(c.rq_5xx_per_s or 0), c.name))

    def severity(self, max_5xx_per_s: float) -> Severity:
        if self.scrape is Scrape.DOWN:
            return Severity.DOWN
        if self.scrape is Scrape.UNKNOWN or self.live is None:
            return Severity.NO_DATA
        if not self.live:
            return Severity.NOT_LIVE
        if any(c.unhealthy for c in self.clusters):
            return Severity.CLUSTER_UNHEALTHY
        if (self.rq_5xx_per_s or 0) > max_5xx_per_s:
            return Severity.ERRORS
        if (self.overflow_per_s or 0) > 0:
            return Severity.OVERFLOW
        if (self.panic_per_s or 0) > 0:
            return Severity.PANIC
        return Severity.OK

    def to_json(self) -> dict[str, Any]:
        worst = self.worst_cluster
        return {
            "instance": self.instance,
            "up": self.up,
            "live": self.live,
            "epoch": self.epoch,
            "uptime_s": _num(self.uptime_s),
            "clusters_healthy": worst.healthy if worst else None,
            "clusters_total": worst.total if worst else None,
            "rq_5xx_per_s": _num(self.rq_5xx_per_s),
            "connect_fail_per_s": _num(self.connect_fail_per_s),
            "overflow_per_s": _num(self.overflow_per_s),
            "panic_per_s": _num(self.panic_per_s),
            "worst_cluster": worst.name if worst else None,
        }


@dataclass(frozen=True, slots=True)
class ClusterSpread:
    """How far one cluster's trouble reaches: which Envoys see it unhealthy, of how many."""

    name: str
    envoys_unhealthy: tuple[str, ...]
    envoys_total: int

    @property
    def everywhere(self) -> bool:
        return self.envoys_total > 0 and len(self.envoys_unhealthy) == self.envoys_total

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "envoys_unhealthy": len(self.envoys_unhealthy),
            "envoys_total": self.envoys_total,
        }


@dataclass(frozen=True, slots=True)
class FleetAlert:
    name: str
    state: str
    instance: str  # "" when the alert is not about one instance

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "state": self.state, "instance": self.instance}


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """One fleet sample: rows worst first, the cluster pivot, findings and warnings."""

    taken_at: float
    envoys: tuple[EnvoyRow, ...]
    clusters: tuple[ClusterSpread, ...]
    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()
    alerts: tuple[FleetAlert, ...] = ()
    window_s: float = 0.0  # the rate window used
    error: str = ""  # "" or why Prometheus could not be read (then everything else is empty)
    took_s: float = 0.0  # how long the sample took

    def envoy(self, instance: str) -> EnvoyRow | None:
        return next((e for e in self.envoys if e.instance == instance), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "envoys": [e.to_json() for e in self.envoys],
            "clusters": [c.to_json() for c in self.clusters],
            "causes": [f.to_json() for f in self.findings],
            "warnings": list(self.warnings),
            "alerts": [a.to_json() for a in self.alerts],
            "generated_at": datetime.fromtimestamp(self.taken_at, UTC).isoformat(),
        }


def _num(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, 3)
