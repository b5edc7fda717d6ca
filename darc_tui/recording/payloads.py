"""The few typed payloads (`Evidence.data`) a replay needs to render like live: the cluster's
hosts from /clusters (the Clusters pane draws its rows from them). Everything else the console
shows comes from `facts`, `detail` and the findings."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

import msgspec

from darc_tui.ids import ProbeId
from darc_tui.model import Evidence
from darc_tui.parse.clusters import (
    CircuitBreakerLimits,
    ClustersReport,
    ClusterStatus,
    HealthFlag,
    HostStatus,
    HostTally,
)


def payload_to_json(ev: Evidence, cluster: str = "") -> dict[str, Any] | None:
    """The JSON form of the payload a replay needs, or None (most evidence needs none)."""
    report = ev.data
    if ev.probe != ProbeId.ENVOY_CLUSTERS or not isinstance(report, ClustersReport):
        return None
    kept = [c for c in report.clusters if not cluster or c.name == cluster]
    return {"clusters": [_cluster_to_json(c) for c in kept], "format": report.format}


def payload_from_json(probe: str, raw: Any) -> Any:
    """The payload back (None when unknown or damaged: the replay shows facts only)."""
    if probe != ProbeId.ENVOY_CLUSTERS or not isinstance(raw, dict):
        return None
    try:
        clusters = tuple(_cluster_from_json(c) for c in raw.get("clusters", ()))
    except (KeyError, TypeError, ValueError):
        return None
    return ClustersReport(clusters, format=str(raw.get("format", "json")))


def _cluster_to_json(c: ClusterStatus) -> dict[str, Any]:
    doc = asdict(replace(c, hosts=()))  # HostStatus is a msgspec Struct, not a dataclass
    doc["hosts"] = [_host_to_json(h) for h in c.hosts]
    if c.tally is None:  # hosts listed in full: the shape recordings always had
        del doc["tally"]
    return doc


def _host_to_json(h: HostStatus) -> dict[str, Any]:
    doc = msgspec.structs.asdict(h)
    doc["flags"] = sorted(str(f) for f in h.flags)
    return doc


def _cluster_from_json(raw: dict[str, Any]) -> ClusterStatus:
    hosts = tuple(_host(h) for h in raw.get("hosts", ()))
    limits = tuple(CircuitBreakerLimits(**_known(CircuitBreakerLimits, b))
                   for b in raw.get("circuit_breakers", ()))  # fmt: skip
    rest = _known(ClusterStatus, raw)
    rest.update(hosts=hosts, circuit_breakers=limits, tally=_tally(raw.get("tally")))
    return ClusterStatus(**rest)


def _tally(raw: Any) -> HostTally | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TypeError("tally is not an object")
    flags = tuple((str(flag), int(count)) for flag, count in raw.get("flags", ()))
    return HostTally(int(raw["hosts"]), int(raw["healthy"]), flags)


def _host(raw: dict[str, Any]) -> HostStatus:
    values = {k: v for k, v in raw.items() if k in HostStatus.__struct_fields__}
    values["flags"] = frozenset(HealthFlag(f) for f in raw.get("flags", ()))
    values["unknown_flags"] = tuple(raw.get("unknown_flags", ()))
    return HostStatus(**values)


def _known(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    """Only the fields this version has (a newer recording may carry more)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in raw.items() if k in names}
