"""One summary of an Envoy configuration, from envoy.yaml on disk or `/config_dump` of the running
Envoy, so the two can be compared field by field (`diff`). Defaults Envoy applies are filled in,
so "unset" and "set to the default" compare equal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import NamedTuple, Protocol, TypeVar

DEFAULT_CONNECT_TIMEOUT = 5.0  # seconds
DEFAULT_PANIC_THRESHOLD = 50.0  # percent of healthy hosts below which Envoy routes to all hosts
DEFAULT_IDLE_TIMEOUT = 3600.0  # upstream connection idle timeout (common_http_protocol_options)
DEFAULT_MAX_EJECTION_PERCENT = 10
DEFAULT_LIMITS = (1024, 1024, 1024, 3)  # max connections, pending, requests, retries


class Endpoint(NamedTuple):
    """An upstream address as configured; unpacks as (address, port). port is 0 for a pipe."""

    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}" if self.port else host


@dataclass(frozen=True, slots=True)
class HealthCheck:
    kind: str  # "http" | "tcp" | "grpc" | "custom"
    path: str = ""
    host: str = ""  # the Host header sent: the configured `host`, else the cluster name
    host_set: bool = False  # `host` was configured (else Envoy sends the cluster name)
    timeout: float | None = None
    interval: float | None = None
    no_traffic_interval: float = 60.0  # Envoy's default: an idle cluster is checked once a minute
    unhealthy_threshold: int | None = None
    healthy_threshold: int | None = None
    expected_statuses: tuple[tuple[int, int], ...] = ((200, 201),)  # [start, end) ranges

    def expected_codes(self) -> tuple[int, ...]:
        return tuple(code for start, end in self.expected_statuses for code in range(start, end))


def statuses_text(codes: Iterable[int]) -> str:
    """(200,) → "200"; (200, 201, 202, 204) → "200-202/204": accepted statuses, for humans."""
    runs: list[list[int]] = []
    for code in sorted(set(codes)):
        if runs and code == runs[-1][-1] + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    return "/".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


@dataclass(frozen=True, slots=True)
class CircuitBreaker:
    priority: str = "DEFAULT"
    max_connections: int = DEFAULT_LIMITS[0]
    max_pending_requests: int = DEFAULT_LIMITS[1]
    max_requests: int = DEFAULT_LIMITS[2]
    max_retries: int = DEFAULT_LIMITS[3]


@dataclass(frozen=True, slots=True)
class OutlierDetection:
    consecutive_5xx: int = 5
    consecutive_gateway_failure: int = 5
    interval: float = 10.0
    base_ejection_time: float = 30.0
    max_ejection_percent: int = DEFAULT_MAX_EJECTION_PERCENT
    enforcing_consecutive_5xx: int = 100
    split_external_local_origin_errors: bool = False


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    name: str
    type: str = "STATIC"  # STATIC | STRICT_DNS | LOGICAL_DNS | EDS | ORIGINAL_DST | custom name
    endpoints: tuple[Endpoint, ...] = ()
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    lb_policy: str = "ROUND_ROBIN"
    health_checks: tuple[HealthCheck, ...] = ()
    panic_threshold: float = DEFAULT_PANIC_THRESHOLD
    circuit_breakers: tuple[CircuitBreaker, ...] = ()
    outlier_detection: OutlierDetection | None = None
    upstream_tls: bool = False
    tls_sni: str = ""
    upstream_protocol: str = "http1"  # http1 | http2 | http3 | auto | downstream
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    dynamic: bool = False  # came from CDS (config_dump dynamic_active_clusters)
    alt_stat_name: str = ""  # stats go under cluster.<alt_stat_name>. (the /clusters label too)

    @property
    def key(self) -> str:
        return self.name

    @property
    def stat_name(self) -> str:
        """The name in this cluster's stats (`cluster.<stat_name>.upstream_cx_connect_fail`) and
        its `observability_name` in /clusters."""
        return self.alt_stat_name or self.name

    @property
    def http2(self) -> bool:
        return self.upstream_protocol == "http2"

    @property
    def health_check(self) -> HealthCheck | None:
        return self.health_checks[0] if self.health_checks else None

    @property
    def hc_path(self) -> str | None:
        """Path of the first active HTTP health check; None when there is none."""
        hc = self.health_check
        return hc.path if hc is not None and hc.kind == "http" else None

    @property
    def hc_host(self) -> str:
        hc = self.health_check
        return hc.host if hc is not None and hc.host_set else ""

    @property
    def hc_timeout(self) -> float | None:
        hc = self.health_check
        return hc.timeout if hc is not None else None

    @property
    def hc_expected_statuses(self) -> tuple[int, ...]:
        hc = self.health_check
        return hc.expected_codes() if hc is not None else ()

    @property
    def limits(self) -> CircuitBreaker:
        """The DEFAULT-priority circuit breaker limits (Envoy's defaults when none are set)."""
        return next((c for c in self.circuit_breakers if c.priority == "DEFAULT"), CircuitBreaker())

    @property
    def max_connections(self) -> int:
        return self.limits.max_connections

    @property
    def max_pending_requests(self) -> int:
        return self.limits.max_pending_requests

    @property
    def max_requests(self) -> int:
        return self.limits.max_requests

    @property
    def max_ejection_percent(self) -> int:
        od = self.outlier_detection
        return od.max_ejection_percent if od is not None else DEFAULT_MAX_EJECTION_PERCENT


@dataclass(frozen=True, slots=True)
class Cors:
    allow_origins: tuple[str, ...] = ()  # "https://a" (exact), "prefix:…", "regex:…", "suffix:…"
    allow_methods: str = ""
    allow_headers: str = ""
    expose_headers: str = ""
    max_age: str = ""
    allow_credentials: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    match: str  # "prefix" | "path" | "regex" | "path_separated_prefix" | "other"
    value: str
    cluster: str = ""  # "" when the route does not forward (redirect, direct_response)
    action: str = (
        "cluster"  # cluster | weighted_clusters | cluster_header | redirect | direct_response
    )
    prefix_rewrite: str = ""
    cors: Cors | None = None

    def __str__(self) -> str:
        target = self.cluster or self.action
        return f"{self.match} {self.value} → {target}"


@dataclass(frozen=True, slots=True)
class VirtualHost:
    name: str
    domains: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    cors: Cors | None = None


@dataclass(frozen=True, slots=True)
class FilterChain:
    """One filter chain: `key` is its name or, unnamed, its filter_chain_match
    ("server_names=a.example transport_protocol=tls"; "*" matches all; "default")."""

    key: str
    filters: tuple[str, ...] = ()  # network filter names
    tls: bool = False

    def __str__(self) -> str:
        return f"{self.key}: {', '.join(self.filters) or 'no filters'}{' (tls)' * self.tls}"


@dataclass(frozen=True, slots=True)
class ListenerSummary:
    name: str
    address: str = ""
    port: int | None = None
    virtual_hosts: tuple[VirtualHost, ...] = ()
    route_config_name: str = ""  # RDS name, or the inline route_config's name
    http_filters: tuple[str, ...] = ()
    tls: bool = False  # a downstream TLS transport socket on some filter chain
    dynamic: bool = False
    protocol: str = "TCP"  # of the socket address: TCP | UDP (QUIC listeners)
    filter_chains: tuple[FilterChain, ...] = ()

    @property
    def key(self) -> str:
        """How Envoy identifies the listener: its name, or for an unnamed static listener (which
        /config_dump lists without a name and stats call `listener.127.0.0.1_8080`) its address."""
        if self.name:
            return self.name
        host = f"[{self.address}]" if ":" in self.address else self.address
        where = f"{host}:{self.port}" if self.port is not None else host or "(no address)"
        return where if self.protocol == "TCP" else f"{where}/{self.protocol.lower()}"

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(r for vh in self.virtual_hosts for r in vh.routes)


@dataclass(frozen=True, slots=True)
class EnvoySummary:
    """Clusters, listeners and admin of one Envoy configuration. `error` is "" or why not read."""

    clusters: tuple[ClusterSummary, ...] = ()
    listeners: tuple[ListenerSummary, ...] = ()
    admin: Endpoint | None = None
    source: str = ""  # a file path, or "config_dump"
    error: str = ""
    line: int | None = None  # 1-based position of a YAML error
    column: int | None = None

    def cluster(self, name: str) -> ClusterSummary | None:
        return next((c for c in self.clusters if c.name == name), None)

    def listener(self, key: str) -> ListenerSummary | None:
        """By name, or by address ("127.0.0.1:8080") for an unnamed listener."""
        return next((x for x in self.listeners if x.key == key), None)

    @property
    def listener_ports(self) -> tuple[int, ...]:
        return tuple(x.port for x in self.listeners if x.port is not None)

    @property
    def admin_port(self) -> int | None:
        return self.admin.port if self.admin is not None else None

    def describe(self) -> str:
        """ "3 clusters (backend_cluster, …), 1 listener (:8080), admin 127.0.0.1:9901"."""
        if self.error:
            return self.error
        names = ", ".join(c.name for c in self.clusters[:4]) + (
            ", …" if len(self.clusters) > 4 else ""
        )
        ports = ", ".join(f":{p}" for p in self.listener_ports)
        parts = [
            f"{len(self.clusters)} cluster{'s' * (len(self.clusters) != 1)} ({names or 'none'})",
            f"{len(self.listeners)} listener{'s' * (len(self.listeners) != 1)} ({ports or 'none'})",
            f"admin {self.admin}" if self.admin is not None else "no admin",
        ]
        return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# diff


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """One difference. `running` is what Envoy runs now, `disk` what a reload would load."""

    subject: str  # "cluster backend_cluster endpoints"
    running: str
    disk: str

    def __str__(self) -> str:
        return f"{self.subject} {self.running} → {self.disk}"


def diff(disk: EnvoySummary, running: EnvoySummary) -> list[ConfigChange]:
    """Changes between the running config and the file, as "subject running → disk" lines.

    Clusters and listeners the running Envoy got from xDS (dynamic) are not expected on disk and
    are ignored unless the file names them too.
    """
    changes: list[ConfigChange] = []
    changes += _diff_named("cluster", disk.clusters, running.clusters, _cluster_fields)
    changes += _diff_named("listener", disk.listeners, running.listeners, _listener_fields)
    if disk.admin != running.admin and disk.admin is not None and running.admin is not None:
        changes.append(ConfigChange("admin address", str(running.admin), str(disk.admin)))
    return changes


class _Named(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def dynamic(self) -> bool: ...


_T = TypeVar("_T", bound=_Named)


def _diff_named(
    kind: str,
    disk: Sequence[_T],
    running: Sequence[_T],
    describe: Callable[[_T], Iterable[tuple[str, str]]],
) -> list[ConfigChange]:
    on_disk, live = _by_key(disk), _by_key(running)
    changes = []
    for name, item in live.items():
        if name not in on_disk and not item.dynamic:
            changes.append(ConfigChange(f"{kind} {name}", "present", "removed on disk"))
    for name, item in on_disk.items():
        if name not in live:
            changes.append(ConfigChange(f"{kind} {name}", "absent", "added on disk"))
            continue
        old, new = dict(describe(live[name])), dict(describe(item))
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                changes.append(
                    ConfigChange(f"{kind} {name} {key}", old.get(key, "-"), new.get(key, "-"))
                )
    return sorted(changes, key=lambda c: c.subject)


def _by_key(found: Sequence[_T]) -> dict[str, _T]:
    """Keyed by name/address; a repeated key (Envoy refuses duplicate names, but two pipes or a
    hand-made summary may share one) gets " #2", " #3" so that nothing collapses into one."""
    keyed: dict[str, _T] = {}
    for x in found:
        key, n = x.key, 1
        while key in keyed:
            n += 1
            key = f"{x.key} #{n}"
        keyed[key] = x
    return keyed


def _cluster_fields(c: ClusterSummary) -> Iterator[tuple[str, str]]:
    yield "type", c.type
    yield "alt_stat_name", c.alt_stat_name or "-"
    yield "endpoint", ", ".join(map(str, c.endpoints)) or "none"
    yield "connect_timeout", f"{c.connect_timeout:g}s"
    yield "lb_policy", c.lb_policy
    yield "health check", "; ".join(map(_hc_text, c.health_checks)) or "none"
    yield "healthy_panic_threshold", f"{c.panic_threshold:g}%"
    yield "circuit breakers", _fields_text(c.limits)
    yield "outlier_detection", _fields_text(c.outlier_detection) if c.outlier_detection else "off"
    yield "upstream TLS", f"on (sni {c.tls_sni or '-'})" if c.upstream_tls else "off"
    yield "upstream protocol", c.upstream_protocol
    yield "idle_timeout", f"{c.idle_timeout:g}s"


def _hc_text(hc: HealthCheck) -> str:
    codes = ",".join(f"{a}" if b == a + 1 else f"{a}-{b - 1}" for a, b in hc.expected_statuses)
    where = f"{hc.path} host {hc.host or '-'} expect {codes}" if hc.kind == "http" else hc.kind
    timing = f"timeout {hc.timeout:g}s" if hc.timeout is not None else "timeout -"
    timing += f" interval {hc.interval:g}s" if hc.interval is not None else ""
    return f"{where} {timing} thresholds {hc.unhealthy_threshold}/{hc.healthy_threshold}"


def _fields_text(obj: object) -> str:
    return " ".join(f"{f.name}={getattr(obj, f.name)}" for f in fields(obj))  # type: ignore[arg-type]


def _listener_fields(x: ListenerSummary) -> Iterator[tuple[str, str]]:
    yield "address", f"{x.address}:{x.port}"
    yield "filter chains", "; ".join(map(str, x.filter_chains)) or "none"
    yield "http filters", ", ".join(x.http_filters) or "none"
    yield "route_config", x.route_config_name or "-"
    for vh in x.virtual_hosts:
        where = f"virtual host {vh.name} " if len(x.virtual_hosts) > 1 else ""
        yield f"{where}domains", ", ".join(vh.domains)
        yield f"{where}cors", _cors_text(vh.cors)
        for r in vh.routes:
            rewrite = f" (rewrite {r.prefix_rewrite})" if r.prefix_rewrite else ""
            cors = f" cors {_cors_text(r.cors)}" if r.cors else ""
            yield f"{where}route {r.match} {r.value}", f"{r.cluster or r.action}{rewrite}{cors}"


def _cors_text(cors: Cors | None) -> str:
    if cors is None:
        return "none"
    origins = ", ".join(cors.allow_origins) or "no origins"
    return (
        f"origins {origins} methods {cors.allow_methods or '-'} headers {cors.allow_headers or '-'}"
    )
