"""Envoy `/clusters?format=json` (preferred) and `/clusters` text → hosts, health flags, counters."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import msgspec

from darc_tui.parse import as_text, load_json
from darc_tui.parse._values import items, mapping, to_float, to_int
from darc_tui.sanitize import clean


class HealthFlag(StrEnum):
    """Every host health flag of Envoy 1.40; values are the `/clusters` text tokens."""

    FAILED_ACTIVE_HC = "failed_active_hc"
    FAILED_OUTLIER_CHECK = "failed_outlier_check"
    FAILED_EDS_HEALTH = "failed_eds_health"
    DEGRADED_ACTIVE_HC = "degraded_active_hc"
    DEGRADED_EDS_HEALTH = "degraded_eds_health"
    PENDING_DYNAMIC_REMOVAL = "pending_dynamic_removal"
    PENDING_ACTIVE_HC = "pending_active_hc"
    EXCLUDED_VIA_IMMEDIATE_HC_FAIL = "excluded_via_immediate_hc_fail"
    ACTIVE_HC_TIMEOUT = "active_hc_timeout"
    EDS_STATUS_DRAINING = "eds_status_draining"

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    HealthFlag.FAILED_ACTIVE_HC: "failed active health check",
    HealthFlag.FAILED_OUTLIER_CHECK: "ejected by outlier detection",
    HealthFlag.FAILED_EDS_HEALTH: "marked unhealthy by EDS",
    HealthFlag.DEGRADED_ACTIVE_HC: "degraded by active health check",
    HealthFlag.DEGRADED_EDS_HEALTH: "marked degraded by EDS",
    HealthFlag.PENDING_DYNAMIC_REMOVAL: "pending removal",
    HealthFlag.PENDING_ACTIVE_HC: "waiting for its first health check",
    HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL: "excluded (immediate health-check fail)",
    HealthFlag.ACTIVE_HC_TIMEOUT: "health check timed out",
    HealthFlag.EDS_STATUS_DRAINING: "draining (EDS)",
}

# JSON `health_status` booleans → flags (see Envoy's clusters_handler.cc setHealthFlag).
_JSON_BOOL_FLAGS = {
    "failed_active_health_check": HealthFlag.FAILED_ACTIVE_HC,
    "failed_outlier_check": HealthFlag.FAILED_OUTLIER_CHECK,
    "failed_active_degraded_check": HealthFlag.DEGRADED_ACTIVE_HC,
    "pending_dynamic_removal": HealthFlag.PENDING_DYNAMIC_REMOVAL,
    "pending_active_hc": HealthFlag.PENDING_ACTIVE_HC,
    "excluded_via_immediate_hc_fail": HealthFlag.EXCLUDED_VIA_IMMEDIATE_HC_FAIL,
    "active_hc_timeout": HealthFlag.ACTIVE_HC_TIMEOUT,
}
# JSON folds the EDS flags into one enum; DRAINING is written last, so it hides UNHEALTHY.
_EDS_STATUS_FLAGS = {
    "UNHEALTHY": HealthFlag.FAILED_EDS_HEALTH,
    "TIMEOUT": HealthFlag.FAILED_EDS_HEALTH,
    "DEGRADED": HealthFlag.DEGRADED_EDS_HEALTH,
    "DRAINING": HealthFlag.EDS_STATUS_DRAINING,
}
HOST_COUNTERS = ("cx_connect_fail", "cx_total", "rq_error", "rq_success", "rq_timeout", "rq_total")
HOST_GAUGES = ("cx_active", "rq_active", "rq_pending_active")


class HostStatus(msgspec.Struct, frozen=True, gc=False):
    """One upstream host of a cluster as `/clusters` shows it. Healthy = no health flag at all.

    A frozen msgspec Struct, not a dataclass: an EDS cluster lists thousands of hosts each round,
    and a frozen dataclass's __init__ (one object.__setattr__ per field) cost 3.8 µs a host, 38 ms
    of a 10 000-host answer; this one is built in C (0.3 µs). No reference cycle can pass through
    it (strings, numbers, a frozenset of enums), hence gc=False."""

    address: str
    port: int | None
    flags: frozenset[HealthFlag] = frozenset()
    unknown_flags: tuple[str, ...] = ()  # tokens a newer Envoy printed that we do not know
    hostname: str = ""
    weight: int | None = None
    priority: int = 0
    success_rate: float | None = None  # percent; None = outlier detection has no figure
    local_origin_success_rate: float | None = None
    cx_active: int = 0
    cx_connect_fail: int = 0
    cx_total: int = 0
    rq_active: int = 0
    rq_error: int = 0
    rq_success: int = 0
    rq_timeout: int = 0
    rq_total: int = 0
    rq_pending_active: int = 0

    @property
    def endpoint(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def healthy(self) -> bool:
        return not self.flags and not self.unknown_flags

    def flag_words(self) -> str:
        """ "failed active health check, health check timed out" or "healthy"."""
        words = [f.words for f in HealthFlag if f in self.flags] + list(self.unknown_flags)
        return ", ".join(words) or "healthy"


@dataclass(frozen=True, slots=True)
class CircuitBreakerLimits:
    priority: str  # "DEFAULT" | "HIGH"
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests: int | None = None
    max_retries: int | None = None


@dataclass(frozen=True, slots=True)
class HostTally:
    """A cluster's hosts as counts: how many, how many healthy, and how many carry each flag (a
    host with two flags counts under both): known flags in Envoy's order, then unknown tokens in
    the order first seen."""

    hosts: int = 0
    healthy: int = 0
    flags: tuple[tuple[str, int], ...] = ()


def tally_of(hosts: Iterable[HostStatus]) -> HostTally:
    total = healthy = 0
    known: Counter[HealthFlag] = Counter()
    unknown: Counter[str] = Counter()
    for host in hosts:
        total += 1
        if host.healthy:
            healthy += 1
        known.update(host.flags)
        unknown.update(dict.fromkeys(host.unknown_flags).keys())  # once per host, first seen first
    flags = [(f.value, known[f]) for f in HealthFlag if known[f]] + list(unknown.items())
    return HostTally(total, healthy, tuple(flags))


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """One cluster. `tally` is None when `hosts` lists them all; a report read for another
    cluster (parse_clusters(body, hosts_of=…)) keeps this one's hosts only as counts: `hosts` is
    () and `tally` says how many there are."""

    name: str
    hosts: tuple[HostStatus, ...] = ()
    added_via_api: bool = False
    circuit_breakers: tuple[CircuitBreakerLimits, ...] = ()
    observability_name: str = ""
    eds_service_name: str = ""
    success_rate_ejection_threshold: float | None = None
    tally: HostTally | None = None

    @property
    def healthy_hosts(self) -> tuple[HostStatus, ...]:
        return tuple(h for h in self.hosts if h.healthy)

    @property
    def unhealthy_hosts(self) -> tuple[HostStatus, ...]:
        return tuple(h for h in self.hosts if not h.healthy)

    def limits(self, priority: str = "DEFAULT") -> CircuitBreakerLimits | None:
        return next((c for c in self.circuit_breakers if c.priority == priority), None)


@dataclass(frozen=True, slots=True)
class ClustersReport:
    """Everything `/clusters` listed. `error` is "" or why the output could not be read."""

    clusters: tuple[ClusterStatus, ...] = ()
    error: str = ""
    format: str = "json"  # "json" | "text"

    def get(self, name: str) -> ClusterStatus | None:
        return next((c for c in self.clusters if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.clusters)


def parse_clusters(body: str | bytes, hosts_of: str | None = None) -> ClustersReport:
    """Either format, told apart by the first character (`{` means JSON).

    JSON bytes are decoded by msgspec into only the fields read, host by host (`_decode_typed`);
    what its schema refuses is read one cluster at a time (`_stream_json`). Either way memory
    follows the hosts kept, not the answer's text (a 32 MiB answer as one document was 7.8x its
    size in objects).

    `hosts_of`: only the clusters of that name keep their hosts, every other one their counts
    (`ClusterStatus.tally`): the probe shows and judges the configured cluster alone, and 99
    other clusters of 100 hosts were 9 900 hosts converted each round for nothing. Anything
    else reads as `summarized(parse_clusters(body), hosts_of)`."""
    if isinstance(body, bytes | bytearray | memoryview):
        data = bytes(body) if not isinstance(body, bytes) else body
        start = _LEADING_SPACE.match(data)
        first = data[start.end() : start.end() + 1] if start else b""
        if first != b"{":
            report = parse_clusters_text(data)
        else:  # the typed reading, else the stream, else the whole document (None = refused)
            report = (
                _decode_typed(data, hosts_of) or _stream_json(data) or parse_clusters_json(data)
            )
    else:
        body = as_text(body)  # once: 30 MiB decoded and checked twice was a third of the time
        json_text = body.lstrip()[:1] == "{"
        report = parse_clusters_json(body) if json_text else parse_clusters_text(body)
    return report if hosts_of is None else summarized(report, hosts_of)


def summarized(report: ClustersReport, hosts_of: str) -> ClustersReport:
    """The report with every cluster not named `hosts_of` kept as counts (see parse_clusters)."""
    clusters = tuple(
        c if c.name == hosts_of or c.tally is not None else _counted(c) for c in report.clusters
    )
    return replace(report, clusters=clusters)


def _counted(cluster: ClusterStatus) -> ClusterStatus:
    return replace(cluster, hosts=(), tally=tally_of(cluster.hosts))


_LEADING_SPACE = re.compile(rb"[ \t\r\n]*")
# A cluster whose host list spans more JSON text than this is read host by host (slower, but its
# memory is its hosts, not the dicts of its text).
CLUSTER_TEXT_BUDGET = 2 * 1024 * 1024
# Up to this size, JSON the stream refuses is read again as one document for its exact wording.
WHOLE_DOCUMENT_LIMIT = 1024 * 1024


def _decode_typed(data: bytes, hosts_of: str | None) -> ClustersReport | None:
    """msgspec's typed reading (see `_clusters_typed`); None when it leaves the bytes to the
    stream below. Never the stream for deep nesting: its prefixes grow with the depth (200 000
    nested arrays in a 400 KiB answer kept it busy for minutes)."""
    from darc_tui.parse import _clusters_typed as typed

    try:
        built = typed.decode_clusters(data, hosts_of)
        deep = built is None and typed.nested_too_deeply(data)  # refused for another reason
    except RecursionError:
        deep = True
    if deep:
        if len(data) <= WHOLE_DOCUMENT_LIMIT:  # its exact wording (orjson nests a little deeper)
            return parse_clusters_json(data)
        return ClustersReport(error="not JSON: nested too deeply")
    return None if built is None else ClustersReport(tuple(c for c in built if c.name))


def _stream_json(data: bytes) -> ClustersReport | None:
    """The clusters built one at a time by ijson's C parser, each dropped once converted (a
    cluster over CLUSTER_TEXT_BUDGET: host by host); None (read the whole document instead, for
    its exact error wording and empty-document rules) when the bytes are not plain valid JSON or
    list no cluster."""
    from darc_tui.parse import _clusters_stream as stream

    try:
        if stream.largest_cluster_text(data) > CLUSTER_TEXT_BUDGET:
            shells, hosts = stream.host_by_host(data)
            built = [
                replace(_json_cluster(raw), hosts=tuple(_json_host(h) for h in found))
                for raw, found in zip(shells, hosts, strict=True)
            ]
        else:
            import ijson  # only the clusters probe's worker thread needs it

            raws = ijson.items(data, stream.CLUSTER, use_float=True)
            built = [_json_cluster(raw) for raw in raws if isinstance(raw, Mapping)]
    except Exception as exc:  # ijson's errors, invalid UTF-8, …: the whole-document path words
        # them, unless the answer is big (a cut or hostile 64 MiB must not be read twice whole)
        if len(data) <= WHOLE_DOCUMENT_LIMIT:
            return None
        return ClustersReport(error=stream.not_json(exc))
    kept = tuple(c for c in built if c.name)
    if built or len(data) <= WHOLE_DOCUMENT_LIMIT:
        return ClustersReport(kept) if built else None
    return ClustersReport(error="not a /clusters document: no cluster listed")


# ---------------------------------------------------------------------------------------------
# JSON


def text(value: Any) -> str:
    """A string the report keeps, cleaned here: the streamed path never sees the whole text."""
    return clean(value) if isinstance(value, str) else ""


def _key(value: Any) -> str:
    """A string only compared with known names (stat names, enum values): not kept, not cleaned."""
    return value if isinstance(value, str) else ""


def parse_clusters_json(body: str | bytes) -> ClustersReport:
    doc, error = load_json(body)
    if error:
        return ClustersReport(error=error)
    if not isinstance(doc, Mapping):
        return ClustersReport(error="not a /clusters document: top level is not an object")
    if "cluster_statuses" not in doc and doc:
        return ClustersReport(error="not a /clusters document: no cluster_statuses")
    clusters = tuple(
        _json_cluster(c) for c in items(doc.get("cluster_statuses")) if isinstance(c, Mapping)
    )
    return ClustersReport(tuple(c for c in clusters if c.name))


def _json_cluster(raw: Mapping[str, Any]) -> ClusterStatus:
    thresholds = items(mapping(raw.get("circuit_breakers")).get("thresholds"))
    return ClusterStatus(
        name=text(raw.get("name")),
        hosts=tuple(
            _json_host(h) for h in items(raw.get("host_statuses")) if isinstance(h, Mapping)
        ),
        added_via_api=raw.get("added_via_api") is True,
        circuit_breakers=tuple(_json_limits(t) for t in thresholds if isinstance(t, Mapping)),
        observability_name=text(raw.get("observability_name")),
        eds_service_name=text(raw.get("eds_service_name")),
        success_rate_ejection_threshold=to_float(
            mapping(raw.get("success_rate_ejection_threshold")).get("value")
        ),
    )


def _json_limits(raw: Mapping[str, Any]) -> CircuitBreakerLimits:
    return CircuitBreakerLimits(
        priority=text(raw.get("priority")) or "DEFAULT",
        max_connections=to_int(raw.get("max_connections")),
        max_pending_requests=to_int(raw.get("max_pending_requests")),
        max_requests=to_int(raw.get("max_requests")),
        max_retries=to_int(raw.get("max_retries")),
    )


def _json_address(raw: Any) -> tuple[str, int | None]:
    address = mapping(raw)
    sock = mapping(address.get("socket_address"))
    if sock:
        return text(sock.get("address")), to_int(sock.get("port_value"))
    pipe = mapping(address.get("pipe"))
    if pipe:
        return text(pipe.get("path")), None
    internal = mapping(address.get("envoy_internal_address"))
    return text(internal.get("server_listener_name")), None


def _json_host(raw: Mapping[str, Any]) -> HostStatus:
    address, port = _json_address(raw.get("address"))
    status = mapping(raw.get("health_status"))
    flags = {flag for key, flag in _JSON_BOOL_FLAGS.items() if status.get(key) is True}
    eds = _EDS_STATUS_FLAGS.get(_key(status.get("eds_health_status")))
    if eds is not None:
        flags.add(eds)
    # proto3 JSON omits zero values (and the COUNTER type), so a missing value is 0
    stats = {
        _key(s.get("name")): to_int(s.get("value", 0)) or 0
        for s in items(raw.get("stats"))
        if isinstance(s, Mapping)
    }
    return HostStatus(
        address=address,
        port=port,
        flags=frozenset(flags),
        hostname=text(raw.get("hostname")),
        weight=to_int(raw.get("weight")),
        priority=to_int(raw.get("priority")) or 0,
        success_rate=to_float(mapping(raw.get("success_rate")).get("value")),
        local_origin_success_rate=to_float(
            mapping(raw.get("local_origin_success_rate")).get("value")
        ),
        cx_active=stats.get("cx_active", 0),
        cx_connect_fail=stats.get("cx_connect_fail", 0),
        cx_total=stats.get("cx_total", 0),
        rq_active=stats.get("rq_active", 0),
        rq_error=stats.get("rq_error", 0),
        rq_success=stats.get("rq_success", 0),
        rq_timeout=stats.get("rq_timeout", 0),
        rq_total=stats.get("rq_total", 0),
        rq_pending_active=stats.get("rq_pending_active", 0),
    )


def parse_clusters_text(body: str | bytes) -> ClustersReport:
    """The text format (`cluster::key::value` lines; see `_clusters_text`)."""
    from darc_tui.parse._clusters_text import parse_text

    return parse_text(body)


def flags_in_words(hosts: Iterable[HostStatus]) -> str:
    """ "127.0.0.1:18443 failed active health check; …" for evidence details."""
    return "; ".join(f"{h.endpoint} {h.flag_words()}" for h in hosts)
