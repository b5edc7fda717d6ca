"""Envoy `/config_dump` (optionally `?include_eds`, or a `?resource=` variant) → EnvoySummary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from darc_tui.parse import _envoy_proto as proto
from darc_tui.parse import load_json
from darc_tui.parse._values import dig, items, mapping, text
from darc_tui.parse.envoy_summary import ClusterSummary, Endpoint, EnvoySummary, ListenerSummary

SOURCE = "config_dump"


def parse_config_dump(body: str | bytes) -> EnvoySummary:
    """The running config: static and dynamic-active clusters, listeners, routes, admin."""
    doc, error = load_json(body)
    if error:
        return EnvoySummary(source=SOURCE, error=error)
    configs = dig(doc, "configs")
    if not isinstance(configs, list):
        return EnvoySummary(source=SOURCE, error="not a /config_dump document: no configs list")
    parts = _Parts()
    for config in configs:
        if isinstance(config, Mapping):
            parts.add(config)
    eds = {name: eps for name, eps in parts.endpoints.items() if eps}
    clusters: list[ClusterSummary] = [
        proto.cluster(raw, dynamic=dynamic, eds=eds) for raw, dynamic in parts.clusters
    ]
    listeners: list[ListenerSummary] = [
        proto.listener(raw, dynamic=dynamic, routes=parts.routes)
        for raw, dynamic in parts.listeners
    ]
    return EnvoySummary(
        clusters=tuple(c for c in clusters if c.name),
        listeners=tuple(listeners),  # a static listener may have no name: its key is its address
        admin=proto.admin_endpoint(parts.admin) if parts.admin is not None else None,
        source=SOURCE,
    )


class _Parts:
    """Collects the pieces of either dump shape: one document per resource kind (the full dump)
    or one entry per resource (`?resource=static_clusters` and friends)."""

    def __init__(self) -> None:
        self.clusters: list[tuple[Mapping[str, Any], bool]] = []
        self.listeners: list[tuple[Mapping[str, Any], bool]] = []
        self.routes: dict[str, Any] = {}
        self.endpoints: dict[str, tuple[Endpoint, ...]] = {}
        self.admin: Any = None

    def add(self, config: Mapping[str, Any]) -> None:
        kind = text(config.get("@type")).rsplit(".", 1)[-1]
        if kind == "BootstrapConfigDump":
            self.admin = dig(config, "bootstrap", "admin")
        elif kind == "ClustersConfigDump":
            self._each(config, "static_clusters", self.add_cluster, False)
            self._each(config, "dynamic_active_clusters", self.add_cluster, True)
        elif kind == "ListenersConfigDump":
            self._each(config, "static_listeners", self.add_listener, False)
            self._each(config, "dynamic_listeners", self.add_listener, True)
        elif kind == "RoutesConfigDump":
            for key in ("static_route_configs", "dynamic_route_configs"):
                self._each(config, key, self.add_route, False)
        elif kind == "EndpointsConfigDump":
            for key in ("static_endpoint_configs", "dynamic_endpoint_configs"):
                self._each(config, key, self.add_endpoints, False)
        else:
            self.add_resource(config)

    def add_resource(self, config: Mapping[str, Any]) -> None:
        """`?resource=` entries are typed e.g. `…ClustersConfigDump.StaticCluster`."""
        kind = text(config.get("@type")).rsplit(".", 1)[-1]
        handlers = {
            "StaticCluster": (self.add_cluster, False),
            "DynamicCluster": (self.add_cluster, True),
            "StaticListener": (self.add_listener, False),
            "DynamicListener": (self.add_listener, True),
            "StaticRouteConfig": (self.add_route, False),
            "DynamicRouteConfig": (self.add_route, False),
            "StaticEndpointConfig": (self.add_endpoints, False),
            "DynamicEndpointConfig": (self.add_endpoints, False),
        }
        if kind in handlers:
            handler, dynamic = handlers[kind]
            handler(config, dynamic)

    @staticmethod
    def _each(config: Mapping[str, Any], key: str, handler: Any, dynamic: bool) -> None:
        for entry in items(config.get(key)):
            if isinstance(entry, Mapping):
                handler(entry, dynamic)

    def add_cluster(self, entry: Mapping[str, Any], dynamic: bool) -> None:
        raw = entry.get("cluster")
        if isinstance(raw, Mapping):
            self.clusters.append((raw, dynamic))

    def add_listener(self, entry: Mapping[str, Any], dynamic: bool) -> None:
        raw = entry.get("listener")
        if not isinstance(raw, Mapping):  # dynamic listeners: only the active one serves traffic
            raw = dig(entry, "active_state", "listener")
        if isinstance(raw, Mapping):
            self.listeners.append((raw, dynamic))

    def add_route(self, entry: Mapping[str, Any], dynamic: bool) -> None:
        raw = mapping(entry.get("route_config"))
        if raw:
            self.routes[text(raw.get("name"))] = raw

    def add_endpoints(self, entry: Mapping[str, Any], dynamic: bool) -> None:
        raw = mapping(entry.get("endpoint_config"))
        name = text(raw.get("cluster_name"))
        if name:
            self.endpoints[name] = proto.load_assignment_endpoints(raw)
