"""Envoy v3 config objects (as YAML or proto-JSON mappings) → the summary types. Shared by the
envoy.yaml parser and the /config_dump parser, which see the same message shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from darc_tui.parse import _envoy_listener as _listener
from darc_tui.parse._values import (
    dig,
    duration,
    enum,
    mapping,
    percent,
    repeated,
    text,
    to_int,
)
from darc_tui.parse.envoy_summary import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_LIMITS,
    DEFAULT_PANIC_THRESHOLD,
    CircuitBreaker,
    ClusterSummary,
    Endpoint,
    HealthCheck,
    ListenerSummary,
    OutlierDetection,
)

HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
EndpointMap = Mapping[str, tuple[Endpoint, ...]]
# enum names by number, for configs that write the number (Envoy accepts both)
CLUSTER_TYPES = ("STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS", "ORIGINAL_DST")
LB_POLICIES: tuple[str, ...] = ("ROUND_ROBIN", "LEAST_REQUEST", "RING_HASH", "RANDOM", "")
LB_POLICIES += ("MAGLEV", "CLUSTER_PROVIDED", "LOAD_BALANCING_POLICY_CONFIG")
PRIORITIES = ("DEFAULT", "HIGH")


# ---------------------------------------------------------------------------------------------
# clusters


def address(raw: Any) -> Endpoint | None:
    """An `Address` (socket_address or pipe) as an Endpoint."""
    sock = mapping(dig(raw, "socket_address"))
    if sock:
        return Endpoint(text(sock.get("address")), to_int(sock.get("port_value")) or 0)
    path = text(dig(raw, "pipe", "path"))
    return Endpoint(path, 0) if path else None


def load_assignment_endpoints(assignment: Any) -> tuple[Endpoint, ...]:
    found = []
    for group in repeated(dig(assignment, "endpoints")):
        for lb in repeated(dig(group, "lb_endpoints")):
            endpoint = address(dig(lb, "endpoint", "address"))
            if endpoint is not None:
                found.append(endpoint)
    return tuple(found)


def cluster(
    raw: Mapping[str, Any], *, dynamic: bool = False, eds: EndpointMap | None = None
) -> ClusterSummary:
    name = text(raw.get("name"))
    endpoints = load_assignment_endpoints(raw.get("load_assignment"))
    if not endpoints and eds:
        service = text(dig(raw, "eds_cluster_config", "service_name")) or name
        endpoints = eds.get(service, ())
    connect_timeout = duration(raw.get("connect_timeout"))
    panic = percent(dig(raw, "common_lb_config", "healthy_panic_threshold"))
    tls, sni = _upstream_tls(raw)
    return ClusterSummary(
        name=name,
        type=enum(raw.get("type"), CLUSTER_TYPES)
        or text(dig(raw, "cluster_type", "name"))
        or "STATIC",
        alt_stat_name=text(raw.get("alt_stat_name")),
        endpoints=endpoints,
        connect_timeout=DEFAULT_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout,
        lb_policy=enum(raw.get("lb_policy"), LB_POLICIES) or "ROUND_ROBIN",
        health_checks=tuple(
            _health_check(hc, name)
            for hc in repeated(raw.get("health_checks"))
            if isinstance(hc, Mapping)
        ),
        panic_threshold=DEFAULT_PANIC_THRESHOLD if panic is None else panic,
        circuit_breakers=tuple(
            _breaker(t)
            for t in repeated(dig(raw, "circuit_breakers", "thresholds"))
            if isinstance(t, Mapping)
        ),
        outlier_detection=_outlier(raw["outlier_detection"])
        if "outlier_detection" in raw
        else None,
        upstream_tls=tls,
        tls_sni=sni,
        upstream_protocol=_upstream_protocol(raw),
        idle_timeout=_idle_timeout(raw),
        dynamic=dynamic,
    )


def _health_check(raw: Mapping[str, Any], cluster_name: str) -> HealthCheck:
    http = raw.get("http_health_check")
    kind = "http"
    if not isinstance(http, Mapping):
        kind = next((k for k in ("tcp", "grpc", "custom") if f"{k}_health_check" in raw), "custom")
        http = {}
    host = text(http.get("host"))
    ranges = tuple(
        (start, end)
        for r in repeated(http.get("expected_statuses"))
        if (start := to_int(dig(r, "start"))) is not None
        and (end := to_int(dig(r, "end"))) is not None
    )
    no_traffic = duration(raw.get("no_traffic_interval"))
    return HealthCheck(
        kind=kind,
        path=text(http.get("path")),
        host=host or cluster_name,
        host_set=bool(host),
        timeout=duration(raw.get("timeout")),
        interval=duration(raw.get("interval")),
        no_traffic_interval=60.0 if no_traffic is None else no_traffic,
        unhealthy_threshold=to_int(raw.get("unhealthy_threshold")),
        healthy_threshold=to_int(raw.get("healthy_threshold")),
        expected_statuses=ranges or ((200, 201),),
    )


def _breaker(raw: Mapping[str, Any]) -> CircuitBreaker:
    def limit(key: str, default: int) -> int:
        value = to_int(raw.get(key))
        return default if value is None else value

    conns, pending, requests, retries = DEFAULT_LIMITS
    return CircuitBreaker(
        priority=enum(raw.get("priority"), PRIORITIES) or "DEFAULT",
        max_connections=limit("max_connections", conns),
        max_pending_requests=limit("max_pending_requests", pending),
        max_requests=limit("max_requests", requests),
        max_retries=limit("max_retries", retries),
    )


def _outlier(raw: Any) -> OutlierDetection:
    raw = mapping(raw)
    base = OutlierDetection()

    def number(key: str, default: int) -> int:
        value = to_int(raw.get(key))
        return default if value is None else value

    def seconds(key: str, default: float) -> float:
        value = duration(raw.get(key))
        return default if value is None else value

    return OutlierDetection(
        consecutive_5xx=number("consecutive_5xx", base.consecutive_5xx),
        consecutive_gateway_failure=number(
            "consecutive_gateway_failure", base.consecutive_gateway_failure
        ),
        interval=seconds("interval", base.interval),
        base_ejection_time=seconds("base_ejection_time", base.base_ejection_time),
        max_ejection_percent=number("max_ejection_percent", base.max_ejection_percent),
        enforcing_consecutive_5xx=number(
            "enforcing_consecutive_5xx", base.enforcing_consecutive_5xx
        ),
        split_external_local_origin_errors=raw.get("split_external_local_origin_errors") is True,
    )


def _upstream_tls(raw: Mapping[str, Any]) -> tuple[bool, str]:
    sockets = [raw.get("transport_socket")]
    sockets += [dig(m, "transport_socket") for m in repeated(raw.get("transport_socket_matches"))]
    for socket in sockets:
        if _listener.is_tls(socket):
            return True, text(dig(socket, "typed_config", "sni"))
    return False, ""


def _protocol_options(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(dig(raw, "typed_extension_protocol_options", HTTP_PROTOCOL_OPTIONS))


def _upstream_protocol(raw: Mapping[str, Any]) -> str:
    options = _protocol_options(raw)
    explicit = mapping(options.get("explicit_http_config"))
    for key, name in (("http2_protocol_options", "http2"), ("http3_protocol_options", "http3")):
        if key in explicit:
            return name
    if "auto_config" in options:
        return "auto"
    if "use_downstream_protocol_config" in options:
        return "downstream"
    # the deprecated v3 Cluster fields, still accepted by 1.40
    if "http2_protocol_options" in raw:
        return "http2"
    if enum(raw.get("protocol_selection")) == "USE_DOWNSTREAM_PROTOCOL":
        return "downstream"
    return "http1"


def _idle_timeout(raw: Mapping[str, Any]) -> float:
    common = _protocol_options(raw).get("common_http_protocol_options")
    if common is None:
        common = raw.get("common_http_protocol_options")  # deprecated v3 Cluster field
    value = duration(dig(common, "idle_timeout"))
    return DEFAULT_IDLE_TIMEOUT if value is None else value


def listener(
    raw: Mapping[str, Any], *, dynamic: bool = False, routes: Mapping[str, Any] | None = None
) -> ListenerSummary:
    where = address(raw.get("address"))
    at = (where.address, where.port or None) if where is not None else None
    return _listener.listener(raw, at, dynamic=dynamic, routes=routes)


def admin_endpoint(admin: Any) -> Endpoint | None:
    return address(dig(admin, "address"))
