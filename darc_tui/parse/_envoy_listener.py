"""Envoy v3 listeners, filter chains and route configs (YAML or proto-JSON mappings) → the summary
types. Shared by the envoy.yaml parser and the /config_dump parser through `_envoy_proto`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from darc_tui.parse._values import dig, enum, mapping, repeated, scalar, text
from darc_tui.parse.envoy_summary import Cors, FilterChain, ListenerSummary, Route, VirtualHost

HCM = "envoy.filters.network.http_connection_manager"
CORS_FILTER = "envoy.filters.http.cors"
Address = tuple[str, int | None]


def listener(
    raw: Mapping[str, Any],
    where: Address | None,
    *,
    dynamic: bool = False,
    routes: Mapping[str, Any] | None = None,
) -> ListenerSummary:
    """`where` is the listener's (address, port), read by the caller."""
    chains = [c for c in repeated(raw.get("filter_chains")) if isinstance(c, Mapping)]
    default = raw.get("default_filter_chain")
    managers = [mapping(dig(f, "typed_config")) for c in _all(chains, default) for f in _hcms(c)]
    config = managers[0] if managers else {}
    route_configs = [_route_config(m, routes or {}) for m in managers]
    first = route_configs[0] if route_configs else {}
    return ListenerSummary(
        name=text(raw.get("name")),
        address=where[0] if where else "",
        port=where[1] if where else None,
        protocol=enum(dig(raw, "address", "socket_address", "protocol")) or "TCP",
        virtual_hosts=_unique_virtual_hosts(route_configs),
        route_config_name=text(dig(config, "rds", "route_config_name")) or text(first.get("name")),
        http_filters=tuple(text(dig(f, "name")) for f in repeated(config.get("http_filters"))),
        tls=any(is_tls(c.get("transport_socket")) for c in _all(chains, default)),
        dynamic=dynamic,
        filter_chains=_filter_chains(chains, default),
    )


def _all(chains: list[Mapping[str, Any]], default: Any) -> list[Mapping[str, Any]]:
    return [*chains, default] if isinstance(default, Mapping) else chains


def _hcms(chain: Mapping[str, Any]) -> Iterator[Any]:
    return (f for f in repeated(chain.get("filters")) if _is_hcm(f))


def _is_hcm(raw: Any) -> bool:
    kind = text(dig(raw, "typed_config", "@type"))
    return text(dig(raw, "name")) == HCM or kind.endswith(".HttpConnectionManager")


def is_tls(socket: Any) -> bool:
    kind = text(dig(socket, "typed_config", "@type"))
    return text(dig(socket, "name")) in ("envoy.transport_sockets.tls", "tls") or kind.endswith(
        "TlsContext"
    )


def _route_config(manager: Mapping[str, Any], routes: Mapping[str, Any]) -> Mapping[str, Any]:
    inline = manager.get("route_config")
    if isinstance(inline, Mapping):
        return inline
    return mapping(routes.get(text(dig(manager, "rds", "route_config_name"))))


def _unique_virtual_hosts(route_configs: list[Mapping[str, Any]]) -> tuple[VirtualHost, ...]:
    """The virtual hosts of every filter chain's connection manager (SNI chains may route
    differently), each once: chains sharing one route config (a YAML alias, one RDS name) add
    nothing new."""
    found: list[VirtualHost] = []
    for route_config in route_configs:
        found += [vh for vh in virtual_hosts(route_config) if vh not in found]
    return tuple(found)


# ---------------------------------------------------------------------------------------------
# filter chains: Envoy identifies them by name or, unnamed (the usual case), by their match


_MATCH_FIELDS = (
    "destination_port",
    "prefix_ranges",
    "address_suffix",
    "server_names",
    "transport_protocol",
    "application_protocols",
    "direct_source_prefix_ranges",
    "source_type",
    "source_prefix_ranges",
    "source_ports",
)


def _filter_chains(chains: list[Mapping[str, Any]], default: Any) -> tuple[FilterChain, ...]:
    found = [_filter_chain(c, _match_key(c.get("filter_chain_match"))) for c in chains]
    if isinstance(default, Mapping):
        found.append(_filter_chain(default, "default"))
    return tuple(found)


def _filter_chain(raw: Mapping[str, Any], match: str) -> FilterChain:
    return FilterChain(
        key=text(raw.get("name")) or match,
        filters=tuple(text(dig(f, "name")) for f in repeated(raw.get("filters"))),
        tls=is_tls(raw.get("transport_socket")),
    )


def _match_key(match: Any) -> str:
    """`server_names=a.example,b.example transport_protocol=tls`; "*" for a chain that matches
    every connection. Lists and one-item mappings/scalars read the same (as Envoy loads them)."""
    parts = []
    for field in _MATCH_FIELDS:
        value = mapping(match).get(field)
        if value in (None, "", [], {}):
            continue
        if field.endswith("prefix_ranges"):
            rendered = ",".join(_cidr(r) for r in repeated(value))
        elif field == "source_type":
            rendered = enum(value)
        else:
            rendered = ",".join(scalar(v) or text(dig(v, "value")) for v in repeated(value))
        parts.append(f"{field}={rendered}")
    return " ".join(parts) or "*"


def _cidr(raw: Any) -> str:
    length = dig(raw, "prefix_len")
    length = dig(length, "value") if isinstance(length, Mapping) else length
    prefix = text(dig(raw, "address_prefix"))
    return f"{prefix}/{scalar(length)}" if scalar(length) else prefix


# ---------------------------------------------------------------------------------------------
# routes


def virtual_hosts(route_config: Mapping[str, Any]) -> tuple[VirtualHost, ...]:
    found = []
    for vh in repeated(route_config.get("virtual_hosts")):
        if not isinstance(vh, Mapping):
            continue
        found.append(
            VirtualHost(
                name=text(vh.get("name")),
                domains=tuple(scalar(d) for d in repeated(vh.get("domains"))),
                routes=tuple(
                    _route(r) for r in repeated(vh.get("routes")) if isinstance(r, Mapping)
                ),
                cors=_cors(vh),
            )
        )
    return tuple(found)


_MATCHES = (
    ("prefix", ("prefix",)),
    ("path", ("path",)),
    ("regex", ("safe_regex", "regex")),
    ("path_separated_prefix", ("path_separated_prefix",)),
    ("path_match_policy", ("path_match_policy", "name")),
)


def _route(raw: Mapping[str, Any]) -> Route:
    match = mapping(raw.get("match"))
    kind, value = "other", ""
    for name, keys in _MATCHES:
        if keys[0] in match:
            kind, value = name, text(dig(match, *keys))
            break
    action = mapping(raw.get("route"))
    cluster_name, how = text(action.get("cluster")), "cluster"
    if not cluster_name:
        weighted = [
            text(dig(c, "name")) for c in repeated(dig(action, "weighted_clusters", "clusters"))
        ]
        cluster_name, how = ", ".join(weighted), "weighted_clusters"
        if not weighted:
            how = next(
                (
                    k
                    for k in ("cluster_header", "redirect", "direct_response")
                    if k in action or k in raw
                ),
                "other",
            )
    return Route(
        match=kind,
        value=value,
        cluster=cluster_name,
        action=how,
        prefix_rewrite=text(action.get("prefix_rewrite")),
        cors=_cors(action) or _cors(raw),
    )


def _cors(raw: Mapping[str, Any]) -> Cors | None:
    """The deprecated `cors` field or the cors filter's per-route config, whichever is set."""
    policy = raw.get("cors")
    if not isinstance(policy, Mapping):
        policy = dig(raw, "typed_per_filter_config", CORS_FILTER)
    if not isinstance(policy, Mapping):
        return None
    origins = []
    for matcher in repeated(policy.get("allow_origin_string_match")):
        for key, label in (
            ("exact", ""),
            ("prefix", "prefix:"),
            ("suffix", "suffix:"),
            ("contains", "contains:"),
        ):
            if key in mapping(matcher):
                origins.append(label + text(matcher[key]))
        if "safe_regex" in mapping(matcher):
            origins.append("regex:" + text(dig(matcher, "safe_regex", "regex")))
    return Cors(
        allow_origins=tuple(origins),
        allow_methods=scalar(policy.get("allow_methods")),
        allow_headers=scalar(policy.get("allow_headers")),
        expose_headers=scalar(policy.get("expose_headers")),
        max_age=scalar(policy.get("max_age")),
        allow_credentials=policy.get("allow_credentials") is True,
    )
