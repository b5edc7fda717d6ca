"""Envoy `/clusters` in its text format: `cluster::key::value` and
`cluster::address::key::value` lines (an Envoy that ignores ?format=json answers this way)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from darc_tui.parse import as_text
from darc_tui.parse._values import to_float, to_int
from darc_tui.parse.clusters import (
    HOST_COUNTERS,
    HOST_GAUGES,
    CircuitBreakerLimits,
    ClustersReport,
    ClusterStatus,
    HealthFlag,
    HostStatus,
)

_CLUSTER_SECTIONS = ("default_priority", "high_priority", "outlier")
_ADDRESS = re.compile(r"^(\[[^\]]*\]|[^\s\[\]]+):(\d{1,5})$|^/\S*$")


def parse_text(body: str | bytes) -> ClustersReport:
    content = as_text(body)
    if content.lstrip().startswith("<"):
        return ClustersReport(error="not a /clusters document (looks like HTML)", format="text")
    clusters: dict[str, dict[str, Any]] = {}
    hosts: dict[str, dict[str, dict[str, str]]] = {}
    understood = 0
    for line in content.splitlines():
        name, sep, rest = line.partition("::")
        if not sep or not name:
            continue
        parts = rest.rsplit("::", 2)
        if len(parts) == 3 and _ADDRESS.match(parts[0]) and parts[0] not in _CLUSTER_SECTIONS:
            hosts.setdefault(name, {}).setdefault(parts[0], {})[parts[1]] = parts[2]
        elif len(parts) >= 2:
            key = "::".join(parts[:-1])
            clusters.setdefault(name, {})[key] = parts[-1]
            hosts.setdefault(name, {})
        else:
            continue
        understood += 1
    if not understood and content.strip():
        return ClustersReport(
            error="not a /clusters document: no `cluster::…` lines", format="text"
        )
    built = tuple(_text_cluster(n, clusters.get(n, {}), hosts.get(n, {})) for n in hosts)
    return ClustersReport(built, format="text")


def _text_cluster(
    name: str, fields: Mapping[str, str], hosts: Mapping[str, Mapping[str, str]]
) -> ClusterStatus:
    limits = []
    for section, priority in (("default_priority", "DEFAULT"), ("high_priority", "HIGH")):
        values = {k.split("::", 1)[1]: v for k, v in fields.items() if k.startswith(section + "::")}
        if values:
            limits.append(
                CircuitBreakerLimits(
                    priority,
                    to_int(values.get("max_connections")),
                    to_int(values.get("max_pending_requests")),
                    to_int(values.get("max_requests")),
                    to_int(values.get("max_retries")),
                )
            )
    threshold = _rate(fields.get("outlier::success_rate_ejection_threshold"))
    return ClusterStatus(
        name=name,
        hosts=tuple(_text_host(addr, values) for addr, values in hosts.items()),
        added_via_api=fields.get("added_via_api") == "true",
        circuit_breakers=tuple(limits),
        observability_name=fields.get("observability_name", ""),
        eds_service_name=fields.get("eds_service_name", ""),
        success_rate_ejection_threshold=threshold,
    )


def _text_host(endpoint: str, values: Mapping[str, str]) -> HostStatus:
    address, _, port = endpoint.rpartition(":")
    if not port.isdigit():
        address, port = endpoint, ""
    flags, unknown = _text_flags(values.get("health_flags", ""))
    stats = {k: v for k, v in ((k, to_int(v)) for k, v in values.items()) if v is not None}
    return HostStatus(
        address=address.strip("[]"),
        port=int(port) if port else None,
        flags=flags,
        unknown_flags=unknown,
        hostname=values.get("hostname", ""),
        weight=to_int(values.get("weight")),
        priority=to_int(values.get("priority")) or 0,
        success_rate=_rate(values.get("success_rate")),
        local_origin_success_rate=_rate(values.get("local_origin_success_rate")),
        **_counters(stats),
    )


def _counters(stats: Mapping[str, int]) -> dict[str, int]:
    """The counters and gauges HostStatus keeps (0 when not listed)."""
    return {name: stats.get(name, 0) for name in (*HOST_COUNTERS, *HOST_GAUGES)}


def _text_flags(value: str) -> tuple[frozenset[HealthFlag], tuple[str, ...]]:
    tokens = [t for t in value.strip().split("/") if t and t != "healthy"]
    known = {f.value: f for f in HealthFlag}
    flags = frozenset(known[t] for t in tokens if t in known)
    return flags, tuple(t for t in tokens if t not in known)


def _rate(value: str | None) -> float | None:
    """Envoy prints -1 when outlier detection has no success-rate figure."""
    number = to_float(value)
    return None if number is None or number < 0 else number
