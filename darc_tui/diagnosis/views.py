"""Probe evidence → the small typed views the rules read.

Each adapter prefers the probe's typed `data` payload and falls back to its flat `facts`; anything
missing or of another type yields None/"unknown" fields, never an exception and never "healthy".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from darc_tui.model import Evidence, Status
from darc_tui.parse.clusters import ClustersReport, HostStatus
from darc_tui.parse.stats import Stats

# /clusters health flags that mean "not taking traffic because something failed".
FAILING_FLAGS = frozenset(
    {
        "failed_active_hc",
        "active_hc_timeout",
        "failed_outlier_check",
        "failed_eds_health",
        "excluded_via_immediate_hc_fail",
        "eds_status_draining",
    }
)


def get(obj: Any, *names: str, default: Any = None) -> Any:
    """The first present attribute or mapping key among `names` (None and missing are skipped)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def pick(ev: Evidence | None, *names: str, default: Any = None) -> Any:
    """A value from the typed payload first, then from the flat facts."""
    if ev is None:
        return default
    value = get(ev.data, *names) if ev.data is not None else None
    if value is None:
        value = get(ev.facts, *names)
    return default if value is None else value


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value:
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None
    if isinstance(value, str):
        text = value.strip().removesuffix("s")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return value.lower() in ("true", "yes")
    return None


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def seq(value: Any) -> tuple[Any, ...]:
    if isinstance(value, list | tuple):
        return tuple(value)
    return ()


# ---------------------------------------------------------------------------------------------
# /stats: counter deltas over the window, latest gauges


@dataclass(frozen=True, slots=True)
class StatsView:
    ev: Evidence | None
    first: Evidence | None
    deltas: Mapping[str, float] = field(default_factory=dict)
    gauges: Mapping[str, float] = field(default_factory=dict)
    cluster: str = ""

    @property
    def sampled(self) -> bool:
        """Two samples exist, so deltas mean something."""
        return self.first is not None and self.ev is not None and self.first is not self.ev

    def delta(self, name: str) -> float | None:
        if not self.sampled:
            return None
        return self.deltas.get(name, 0.0)

    def cdelta(self, suffix: str) -> float | None:
        """Delta of a counter of the configured cluster, e.g. `upstream_cx_connect_fail`
        (`cluster` is the name its stats are under: its alt_stat_name if it has one)."""
        return self.delta(f"cluster.{self.cluster}.{suffix}")

    def cgauge(self, suffix: str) -> float | None:
        return self.gauges.get(f"cluster.{self.cluster}.{suffix}")

    def sum_delta(self, prefix: str, suffix: str) -> float | None:
        """Summed delta of every counter named `prefix*suffix` (e.g. every HCM's no_route)."""
        if not self.sampled:
            return None
        return sum(v for k, v in self.deltas.items() if k.startswith(prefix) and k.endswith(suffix))


def _sample(ev: Evidence) -> Stats | None:
    """The /stats sample an envoy.stats evidence carries (the payload, or its `.stats`)."""
    data = ev.data
    if not isinstance(data, Stats):
        data = getattr(data, "stats", None)
    return data if isinstance(data, Stats) and not data.error else None


def _counters(sample: Stats) -> dict[str, float]:
    # A /stats query without `type=` leaves the kind unknown: such values may be counters.
    return {**sample.untyped, **sample.counters}


def stats_view(history: list[Evidence], cluster: str) -> StatsView:
    samples = [(ev, s) for ev in history if known(ev) and (s := _sample(ev)) is not None]
    if not samples:
        return StatsView(None, None, cluster=cluster)
    first_ev, first = samples[0][0], _counters(samples[0][1])
    last_ev, last_sample = samples[-1]
    last = _counters(last_sample)
    deltas: dict[str, float] = {}
    for name, value in last.items():
        before = first.get(name, 0.0)
        # A counter that went down means Envoy restarted (or counters were reset): count from 0.
        deltas[name] = value - before if value >= before else value
    gauges = {**last_sample.untyped, **last_sample.gauges}
    return StatsView(last_ev, first_ev, deltas, gauges, cluster)


def known(ev: Evidence | None) -> bool:
    return ev is not None and ev.status in (Status.OK, Status.WARN, Status.FAIL)


# ---------------------------------------------------------------------------------------------
# /clusters: hosts and health flags


@dataclass(frozen=True, slots=True)
class HostView:
    address: str
    port: int | None
    flags: frozenset[str]
    cx_connect_fail: int = 0  # lifetime counter of this host (judge by its change only)

    @property
    def endpoint(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def failing(self) -> frozenset[str]:
        return self.flags & FAILING_FLAGS

    @property
    def healthy(self) -> bool:
        return not self.failing


@dataclass(frozen=True, slots=True)
class ClustersView:
    ev: Evidence
    found: bool  # the configured cluster is listed at all
    hosts: tuple[HostView, ...]
    names: tuple[str, ...]

    @property
    def unhealthy(self) -> tuple[HostView, ...]:
        return tuple(h for h in self.hosts if not h.healthy)

    def with_flag(self, flag: str) -> tuple[HostView, ...]:
        return tuple(h for h in self.hosts if flag in h.flags)


_NO_FLAGS: frozenset[str] = frozenset()


def _host_view(host: HostStatus) -> HostView:
    if not host.flags and not host.unknown_flags:  # most hosts: no set built for each
        return HostView(host.address, host.port, _NO_FLAGS, host.cx_connect_fail)
    flags = frozenset(str(f) for f in host.flags) | frozenset(host.unknown_flags)
    return HostView(host.address, host.port, flags, host.cx_connect_fail)


def clusters_view(ev: Evidence | None, cluster: str) -> ClustersView | None:
    if not known(ev) or ev is None or not isinstance(ev.data, ClustersReport) or ev.data.error:
        return None
    report = ev.data
    found = report.get(cluster)
    if found is None:
        return ClustersView(ev, False, (), report.names)
    return ClustersView(ev, True, tuple(_host_view(h) for h in found.hosts), report.names)
