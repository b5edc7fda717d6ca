"""Render an Envoy v3 bootstrap (envoy.yaml) from one flat, frozen spec: the demo site and its faults.

Defaults reproduce the original site's shape: a listener routing the `/api` prefix to one
`backend_cluster` with an active HTTP health check on `/api/health`, CORS for the site origin, and an
access log in Envoy's default format. Every fault the demo or a test needs is one field away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import yaml

_TYPES = "type.googleapis.com/envoy.extensions"
_CORS_FILTER = "envoy.filters.http.cors"


class ClusterType(StrEnum):
    STATIC = "STATIC"
    STRICT_DNS = "STRICT_DNS"


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str  # an IP literal for STATIC, a DNS name (or literal) for STRICT_DNS
    port: int


@dataclass(frozen=True, slots=True)
class EnvoySpec:
    """Everything that varies between the healthy site and its faults. None = Envoy's default."""

    admin_address: str = "127.0.0.1"
    admin_port: int = 9901
    listener_address: str = "127.0.0.1"
    listener_port: int = 8080
    route_prefix: str = "/api"
    route_timeout: float | None = None  # None = Envoy's default 15 s
    retry_on: str = ""  # route retry_policy.retry_on, e.g. "5xx"; "" = no retry policy
    num_retries: int = 1
    cluster_name: str = "backend_cluster"
    alt_stat_name: str = ""  # "" = stats under cluster.<cluster_name>.
    cluster_type: ClusterType = ClusterType.STATIC
    endpoints: tuple[Endpoint, ...] = (Endpoint("127.0.0.1", 18443),)
    dns_resolver: tuple[str, int] | None = None  # STRICT_DNS: (ip, port) of the only resolver used
    dns_refresh_rate: float = 1.0
    # A host that leaves DNS/EDS stays (flag /pending_dynamic_removal, still routed to) for as long
    # as its active health check passes, unless this is set.
    ignore_health_on_host_removal: bool = False
    connect_timeout: float = 1.0
    # active HTTP health check
    health_check: bool = True
    hc_path: str = "/api/health"
    hc_host: str = ""  # "" = Envoy sends `Host: <cluster name>`
    hc_interval: float = 1.0
    hc_timeout: float = 1.0
    hc_unhealthy_threshold: int = 2
    hc_healthy_threshold: int = 1
    hc_expected_statuses: tuple[int, ...] = ()  # () = Envoy's default: only 200
    hc_no_traffic_interval: float | None = None  # None = hc_interval (Envoy's default is 60 s)
    healthy_panic_threshold: float | None = None  # percent; None = Envoy's default 50
    upstream_tls: bool = False  # TLS to the backend, without certificate verification
    upstream_sni: str = ""  # the server name Envoy sends in the upstream TLS handshake
    upstream_http2: bool = False
    upstream_idle_timeout: float | None = None  # None = Envoy's default 1 h
    cb_max_connections: int | None = None  # circuit breakers; None = Envoy's default 1024
    cb_max_pending_requests: int | None = None
    cb_max_requests: int | None = None
    outlier_consecutive_5xx: int | None = None  # None = no outlier detection
    outlier_interval: float = 1.0
    outlier_base_ejection_time: float = 30.0
    outlier_max_ejection_percent: int | None = None  # None = Envoy's default 10
    access_log_path: str = "/var/log/envoy/access.log"  # "" = no access log
    access_log_format: str = ""  # "" = Envoy's default text format
    cors_origins: tuple[str, ...] = ("https://www.darc.kr",)  # () = no CORS filter

    @property
    def admin_url(self) -> str:
        return f"http://{_url_host(self.admin_address)}:{self.admin_port}"

    @property
    def listener_url(self) -> str:
        return f"http://{_url_host(self.listener_address)}:{self.listener_port}"


def render(spec: EnvoySpec) -> str:
    """The bootstrap YAML for `spec` (validate it with `envoy --mode validate -c FILE`)."""
    return yaml.dump(bootstrap(spec), Dumper=_Dumper, sort_keys=False, default_flow_style=False)


def bootstrap(spec: EnvoySpec) -> dict[str, Any]:
    """The bootstrap as plain data, for callers that want to tweak it before dumping."""
    return {
        "admin": {"address": _socket_address(spec.admin_address, spec.admin_port)},
        "static_resources": {"listeners": [_listener(spec)], "clusters": [_cluster(spec)]},
    }


# ---------------------------------------------------------------------------------------------
# listener


def _listener(spec: EnvoySpec) -> dict[str, Any]:
    hcm: dict[str, Any] = {
        "@type": f"{_TYPES}.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "ingress_http",
        "codec_type": "AUTO",
        "route_config": _route_config(spec),
        "http_filters": _http_filters(spec),
    }
    if spec.access_log_path:
        hcm["access_log"] = [_access_log(spec)]
    return {
        "name": "listener_http",
        "address": _socket_address(spec.listener_address, spec.listener_port),
        "filter_chains": [
            {
                "filters": [
                    {"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}
                ]
            }
        ],
    }


def _route_config(spec: EnvoySpec) -> dict[str, Any]:
    route: dict[str, Any] = {"cluster": spec.cluster_name}
    if spec.route_timeout is not None:
        route["timeout"] = _duration(spec.route_timeout)
    if spec.retry_on:
        route["retry_policy"] = {"retry_on": spec.retry_on, "num_retries": spec.num_retries}
    virtual_host: dict[str, Any] = {
        "name": "site",
        "domains": ["*"],
        # Only the prefix is routed: any other path gets Envoy's own 404 with flag NR.
        "routes": [{"match": {"prefix": spec.route_prefix}, "route": route}],
    }
    if spec.cors_origins:
        virtual_host["typed_per_filter_config"] = {_CORS_FILTER: _cors_policy(spec.cors_origins)}
    return {"name": "local_route", "virtual_hosts": [virtual_host]}


def _cors_policy(origins: Sequence[str]) -> dict[str, Any]:
    # The route-level `cors` field is deprecated; the filter reads this per-filter config instead.
    return {
        "@type": f"{_TYPES}.filters.http.cors.v3.CorsPolicy",
        "allow_origin_string_match": [{"exact": origin} for origin in origins],
        "allow_methods": "GET, POST, PUT, DELETE, OPTIONS",
        "allow_headers": "authorization, content-type, x-requested-with",
        "max_age": "86400",
    }


def _http_filters(spec: EnvoySpec) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if spec.cors_origins:
        filters.append(
            {"name": _CORS_FILTER, "typed_config": {"@type": f"{_TYPES}.filters.http.cors.v3.Cors"}}
        )
    router = {"@type": f"{_TYPES}.filters.http.router.v3.Router"}
    filters.append({"name": "envoy.filters.http.router", "typed_config": router})
    return filters


def _access_log(spec: EnvoySpec) -> dict[str, Any]:
    config: dict[str, Any] = {
        "@type": f"{_TYPES}.access_loggers.file.v3.FileAccessLog",
        "path": spec.access_log_path,
    }
    if spec.access_log_format:
        fmt = spec.access_log_format
        if not fmt.endswith("\n"):
            fmt += "\n"  # Envoy writes the format verbatim: without it records run together
        config["log_format"] = {"text_format_source": {"inline_string": fmt}}
    return {"name": "envoy.access_loggers.file", "typed_config": config}


# ---------------------------------------------------------------------------------------------
# cluster


def _cluster(spec: EnvoySpec) -> dict[str, Any]:
    cluster: dict[str, Any] = {
        "name": spec.cluster_name,
        "type": str(spec.cluster_type),
        "connect_timeout": _duration(spec.connect_timeout),
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": _load_assignment(spec),
    }
    if spec.alt_stat_name:
        cluster["alt_stat_name"] = spec.alt_stat_name
    if spec.cluster_type is ClusterType.STRICT_DNS:
        cluster.update(_dns_settings(spec))
    if spec.health_check:
        cluster["health_checks"] = [_health_check(spec)]
    if spec.ignore_health_on_host_removal:
        cluster["ignore_health_on_host_removal"] = True
    if spec.healthy_panic_threshold is not None:
        cluster["common_lb_config"] = {
            "healthy_panic_threshold": {"value": spec.healthy_panic_threshold}
        }
    breakers = _circuit_breakers(spec)
    if breakers:
        cluster["circuit_breakers"] = {"thresholds": [breakers]}
    if spec.outlier_consecutive_5xx is not None:
        cluster["outlier_detection"] = _outlier_detection(spec)
    protocol = _protocol_options(spec)
    if protocol:
        cluster["typed_extension_protocol_options"] = {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": protocol
        }
    if spec.upstream_tls:
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            # No validation_context: the demo backend's certificate is a throwaway self-signed one.
            "typed_config": {"@type": f"{_TYPES}.transport_sockets.tls.v3.UpstreamTlsContext"},
        }
        if spec.upstream_sni:
            cluster["transport_socket"]["typed_config"]["sni"] = spec.upstream_sni
    return cluster


def _load_assignment(spec: EnvoySpec) -> dict[str, Any]:
    endpoints = [{"endpoint": {"address": _socket_address(e.host, e.port)}} for e in spec.endpoints]
    return {"cluster_name": spec.cluster_name, "endpoints": [{"lb_endpoints": endpoints}]}


def _dns_settings(spec: EnvoySpec) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "dns_lookup_family": "V4_ONLY",
        "dns_refresh_rate": _duration(spec.dns_refresh_rate),
        "respect_dns_ttl": False,
    }
    if spec.dns_resolver is not None:
        address, port = spec.dns_resolver
        settings["typed_dns_resolver_config"] = {
            "name": "envoy.network.dns_resolver.cares",
            "typed_config": {
                "@type": f"{_TYPES}.network.dns_resolver.cares.v3.CaresDnsResolverConfig",
                "resolvers": [_socket_address(address, port, udp=True)],
                # Never fall back to /etc/resolv.conf: the lab must not send DNS anywhere else.
                "use_resolvers_as_fallback": False,
                "dns_resolver_options": {"no_default_search_domain": True},
            },
        }
    return settings


def _health_check(spec: EnvoySpec) -> dict[str, Any]:
    http: dict[str, Any] = {"path": spec.hc_path}
    if spec.hc_host:
        http["host"] = spec.hc_host
    if spec.hc_expected_statuses:
        # Int64Range is half-open [start, end); replaces (not extends) the default "200 only".
        http["expected_statuses"] = [
            {"start": code, "end": code + 1} for code in spec.hc_expected_statuses
        ]
    no_traffic = spec.hc_no_traffic_interval
    return {
        "timeout": _duration(spec.hc_timeout),
        "interval": _duration(spec.hc_interval),
        "unhealthy_threshold": spec.hc_unhealthy_threshold,
        "healthy_threshold": spec.hc_healthy_threshold,
        # Without traffic Envoy checks every no_traffic_interval (default 60 s), not every interval.
        "no_traffic_interval": _duration(spec.hc_interval if no_traffic is None else no_traffic),
        "http_health_check": http,
    }


def _circuit_breakers(spec: EnvoySpec) -> dict[str, Any]:
    limits = {
        "max_connections": spec.cb_max_connections,
        "max_pending_requests": spec.cb_max_pending_requests,
        "max_requests": spec.cb_max_requests,
    }
    chosen = {key: value for key, value in limits.items() if value is not None}
    return {"priority": "DEFAULT", **chosen} if chosen else {}


def _outlier_detection(spec: EnvoySpec) -> dict[str, Any]:
    outlier: dict[str, Any] = {
        "consecutive_5xx": spec.outlier_consecutive_5xx,
        "interval": _duration(spec.outlier_interval),
        "base_ejection_time": _duration(spec.outlier_base_ejection_time),
    }
    if spec.outlier_max_ejection_percent is not None:
        outlier["max_ejection_percent"] = spec.outlier_max_ejection_percent
    return outlier


def _protocol_options(spec: EnvoySpec) -> dict[str, Any]:
    if not spec.upstream_http2 and spec.upstream_idle_timeout is None:
        return {}
    options: dict[str, Any] = {"@type": f"{_TYPES}.upstreams.http.v3.HttpProtocolOptions"}
    if spec.upstream_idle_timeout is not None:
        options["common_http_protocol_options"] = {
            "idle_timeout": _duration(spec.upstream_idle_timeout)
        }
    # HttpProtocolOptions requires one upstream protocol choice; HTTP/1.1 is what Envoy does anyway.
    protocol = "http2_protocol_options" if spec.upstream_http2 else "http_protocol_options"
    options["explicit_http_config"] = {protocol: {}}
    return options


# ---------------------------------------------------------------------------------------------
# helpers


class _Dumper(yaml.SafeDumper):
    """Writes strings with a newline (access-log formats) as one readable double-quoted line."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _socket_address(address: str, port: int, *, udp: bool = False) -> dict[str, Any]:
    socket: dict[str, Any] = {"address": address, "port_value": port}
    if udp:
        socket["protocol"] = "UDP"
    return {"socket_address": socket}


def _duration(seconds: float) -> str:
    """A protobuf Duration string ("0.25s"); Envoy rejects floats with exponents."""
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def _url_host(address: str) -> str:
    if address in ("0.0.0.0", ""):
        return "127.0.0.1"
    if address == "::":
        return "[::1]"
    return f"[{address}]" if ":" in address else address
