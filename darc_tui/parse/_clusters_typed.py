"""/clusters?format=json decoded by msgspec into Structs of only the fields darc-tui reads.

Every other field (locality, metadata, …) is skipped in C without building a Python object, and
each cluster's host list is decoded from its own slice of the answer (`msgspec.Raw`, no copy),
host by host when it is big, and dropped once converted: memory follows the hosts kept, whatever
the size of one cluster. The schema is strict where a loose reading would need Python per value:
a document it refuses (a wrong type, not JSON, a cut answer, NaN) gets None, and the caller reads
it the way it always did, for the same wording. What it accepts reads exactly as the
whole-document path (`parse_clusters_json`) reads it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from operator import attrgetter
from typing import Any

import msgspec
from msgspec import UNSET, Raw, Struct, UnsetType

from darc_tui.parse._values import to_float, to_int
from darc_tui.parse.clusters import (
    _EDS_STATUS_FLAGS,
    _JSON_BOOL_FLAGS,
    CircuitBreakerLimits,
    ClusterStatus,
    HealthFlag,
    HostStatus,
    HostTally,
    text,
)

# Fields typed `Any` are read by the same tolerant readers as the whole-document path (to_int,
# to_float, text); typed ones reject what those readers would have read differently.


class _Stat(Struct, gc=False):
    name: str = ""
    value: int | str = 0  # proto3 JSON writes uint64 as "200"


class _Health(Struct, frozen=True, gc=False):  # hashable: `_tally` counts them
    failed_active_health_check: bool = False
    failed_outlier_check: bool = False
    failed_active_degraded_check: bool = False
    pending_dynamic_removal: bool = False
    pending_active_hc: bool = False
    excluded_via_immediate_hc_fail: bool = False
    active_hc_timeout: bool = False
    eds_health_status: str = ""


class _Value(Struct, gc=False):
    """A proto wrapper ({"value": …}): success rates, the ejection threshold."""

    value: Any = None


class _Address(Struct, gc=False):
    socket_address: dict[str, Any] | None = None
    pipe: dict[str, Any] | None = None
    envoy_internal_address: dict[str, Any] | None = None


class _Host(Struct, gc=False):
    address: _Address | None = None
    stats: list[_Stat] = []
    health_status: _Health | None = None
    hostname: Any = None
    weight: Any = None
    priority: Any = None
    success_rate: _Value | None = None
    local_origin_success_rate: _Value | None = None


class _Limits(Struct, gc=False):
    priority: Any = None
    max_connections: Any = None
    max_pending_requests: Any = None
    max_requests: Any = None
    max_retries: Any = None


class _Breakers(Struct, gc=False):
    thresholds: list[_Limits] = []


class _Cluster(Struct, gc=False):
    name: Any = None
    host_statuses: Raw = Raw(b"[]")  # decoded by `_hosts`
    added_via_api: Any = None
    circuit_breakers: _Breakers | None = None
    observability_name: Any = None
    eds_service_name: Any = None
    success_rate_ejection_threshold: _Value | None = None


class _Document(Struct, gc=False):
    cluster_statuses: list[_Cluster] | UnsetType = UNSET


_DOCUMENT = msgspec.json.Decoder(_Document)
_HOSTS = msgspec.json.Decoder(list[_Host])
_SLICES = msgspec.json.Decoder(list[Raw])
_HOST = msgspec.json.Decoder(_Host)
# A host list over this much text is decoded host by host (each host's Structs dropped once
# converted: one EDS cluster of 40 000 hosts is a 32 MiB answer); up to it, in one call.
AT_ONCE = 2 * 1024 * 1024


def decode_clusters(data: bytes, hosts_of: str | None = None) -> tuple[ClusterStatus, ...] | None:
    """Every cluster listed (named or not), or None: the schema refused the bytes, or they list
    no cluster (the caller's own rules word those). Raises RecursionError when nested too deeply
    (msgspec stops at Python's recursion limit, as json.loads does). `hosts_of`: see
    `clusters.parse_clusters` (every host is still decoded by the same schema, so the same bytes
    are refused; only the conversion is skipped)."""
    try:
        clusters = _DOCUMENT.decode(data).cluster_statuses
        if not clusters:  # UNSET or []
            return None
        return tuple(_cluster(c, hosts_of) for c in clusters)
    except msgspec.DecodeError:  # ValidationError is a DecodeError
        return None


class _Skipped(Struct):
    """Any object, every field skipped in C: decoding it only walks the text."""


_SKIP = msgspec.json.Decoder(_Skipped)


def nested_too_deeply(data: bytes) -> bool:
    """True when the JSON nests deeper than Python's recursion limit before any syntax error
    (one pass in C, nothing built)."""
    try:
        _SKIP.decode(data)
    except RecursionError:
        return True
    except msgspec.DecodeError:
        return False
    return False


def _cluster(raw: _Cluster, hosts_of: str | None) -> ClusterStatus:
    breakers = raw.circuit_breakers
    threshold = raw.success_rate_ejection_threshold
    name = text(raw.name)
    keep = hosts_of is None or name == hosts_of
    return ClusterStatus(
        name,
        _hosts(raw.host_statuses) if keep else (),
        raw.added_via_api is True,
        tuple([_limits(t) for t in breakers.thresholds]) if breakers else (),
        text(raw.observability_name),
        text(raw.eds_service_name),
        None if threshold is None else to_float(threshold.value),
        None if keep else _tally(raw.host_statuses),
    )


def _decoded(text: Raw) -> Iterator[_Host]:
    """The hosts of one list as the schema reads them: in one call, or one at a time."""
    if len(text) <= AT_ONCE:
        return iter(_HOSTS.decode(text))
    return map(_HOST.decode, _SLICES.decode(text))


def _hosts(text: Raw) -> tuple[HostStatus, ...]:
    return tuple(map(_host, _decoded(text)))


_HEALTH_OF = attrgetter("health_status")


def _tally(text: Raw) -> HostTally:
    """`clusters.tally_of` of the hosts `_hosts` would build, from their health alone: hosts
    that share a health_status share their flags (counted in C; a handful of distinct ones)."""
    known: Counter[HealthFlag] = Counter()
    total = healthy = 0
    for status, count in Counter(map(_HEALTH_OF, _decoded(text))).items():
        flags = _NO_FLAGS if status is None else _flags(status)
        total += count
        if not flags:
            healthy += count
        for flag in flags:
            known[flag] += count
    return HostTally(total, healthy, tuple((f.value, known[f]) for f in HealthFlag if known[f]))


def _limits(raw: _Limits) -> CircuitBreakerLimits:
    return CircuitBreakerLimits(
        text(raw.priority) or "DEFAULT",
        to_int(raw.max_connections),
        to_int(raw.max_pending_requests),
        to_int(raw.max_requests),
        to_int(raw.max_retries),
    )


_NO_FLAGS: frozenset[HealthFlag] = frozenset()
# eds_health_status alone (the common case: no boolean flag set) → its flags, built once
_EDS_ONLY = {word: frozenset({flag}) for word, flag in _EDS_STATUS_FLAGS.items()}
_BOOL_NAMES = tuple(_JSON_BOOL_FLAGS.items())


def _flags(status: _Health) -> frozenset[HealthFlag]:
    if not (
        status.failed_active_health_check
        or status.failed_outlier_check
        or status.failed_active_degraded_check
        or status.pending_dynamic_removal
        or status.pending_active_hc
        or status.excluded_via_immediate_hc_fail
        or status.active_hc_timeout
    ):
        return _EDS_ONLY.get(status.eds_health_status, _NO_FLAGS)
    found = {flag for name, flag in _BOOL_NAMES if getattr(status, name)}
    eds = _EDS_STATUS_FLAGS.get(status.eds_health_status)
    if eds is not None:
        found.add(eds)
    return frozenset(found)


def _address(raw: _Address | None) -> tuple[str, int | None]:
    """As `clusters._json_address`: the first non-empty of socket_address, pipe; else the
    internal listener's name."""
    if raw is None:
        return "", None
    sock = raw.socket_address
    if sock:
        address, port = sock.get("address"), sock.get("port_value")
        if not (address.__class__ is str and address.isascii() and address.isprintable()):
            address = text(address)  # clean()'s own fast case inlined: 10 000 hosts a round
        return address, port if port.__class__ is int else to_int(port)
    if raw.pipe:
        return text(raw.pipe.get("path")), None
    internal = raw.envoy_internal_address
    return text(internal.get("server_listener_name")) if internal else "", None


# the counters HostStatus keeps, in its field order (a repeated stat: the last one wins)
_COUNTERS = (
    "cx_active", "cx_connect_fail", "cx_total", "rq_active", "rq_error", "rq_success",
    "rq_timeout", "rq_total", "rq_pending_active",
)  # fmt: skip
_ZEROS = dict.fromkeys(_COUNTERS, 0)


def _counters(stats: list[_Stat]) -> dict[str, int]:
    counts = _ZEROS.copy()
    for stat in stats:
        name, value = stat.name, stat.value
        if name in counts:
            if isinstance(value, str):  # "200": to_int's own fast case, else to_int itself
                counts[name] = (
                    int(value) if value.isdecimal() and len(value) <= 20 else to_int(value)
                ) or 0
            else:  # a JSON number, or 0 when Envoy omits it (a repeated stat: the last wins)
                counts[name] = value
    return counts


def _host(raw: _Host) -> HostStatus:
    address, port = _address(raw.address)
    c = _counters(raw.stats)
    status = raw.health_status
    weight, priority, hostname = raw.weight, raw.priority, raw.hostname
    rate, local_rate = raw.success_rate, raw.local_origin_success_rate
    return HostStatus(
        address,
        port,
        _NO_FLAGS if status is None else _flags(status),
        (),
        "" if hostname is None else text(hostname),
        weight if type(weight) is int else to_int(weight),
        (priority if type(priority) is int else to_int(priority)) or 0,
        None if rate is None else to_float(rate.value),
        None if local_rate is None else to_float(local_rate.value),
        c["cx_active"],
        c["cx_connect_fail"],
        c["cx_total"],
        c["rq_active"],
        c["rq_error"],
        c["rq_success"],
        c["rq_timeout"],
        c["rq_total"],
        c["rq_pending_active"],
    )
