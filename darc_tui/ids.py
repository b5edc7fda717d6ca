"""The two id registries: what a probe is called, and what a cause is called.

Both are `StrEnum`s, so they serialise (JSON, reports, `check` tables) as their plain dotted
values, and both are referenced everywhere instead of string literals. They are separate types on
purpose: a cause id (`config.drift`) and a probe id (`envoy.drift`) share the dotted look but never
a meaning, and mypy keeps one from being passed where the other is expected.

The wire values are stable: `check --json`, reports and recorded evidence depend on them.
"""

from __future__ import annotations

from enum import StrEnum


class ProbeId(StrEnum):
    """Every probe's stable name (`Evidence.probe`)."""

    # on the Envoy host: the process and its files
    ENVOY_PROCESS = "envoy.process"
    ENVOY_PORTS = "envoy.ports"
    ENVOY_CONFIG_FILE = "envoy.config_file"
    ENVOY_VALIDATE = "envoy.validate"
    ENVOY_DRIFT = "envoy.drift"
    # Envoy's admin API
    ENVOY_READY = "envoy.ready"
    ENVOY_SERVER_INFO = "envoy.server_info"
    ENVOY_CLUSTERS = "envoy.clusters"
    ENVOY_STATS = "envoy.stats"
    ENVOY_CONFIG_DUMP = "envoy.config_dump"
    # the request path, end to end and hop by hop
    ENVOY_LISTENER = "envoy.listener"
    ENVOY_HC_REQUEST = "envoy.hc_request"
    ENVOY_ACCESS_LOG = "envoy.access_log"
    BACKEND_HEALTH = "backend.health"
    BACKEND_TCP = "backend.tcp"
    ENDPOINT_TCP = "endpoint.tcp"
    CORS_PREFLIGHT = "cors.preflight"
    FIREWALL_RULES = "firewall.rules"
    HOST_LOAD = "host.load"
    # the state of the log followers (one per followed source)
    LOGS_ACCESS = "logs.access"
    LOGS_ERROR = "logs.error"
    LOGS_JOURNAL = "logs.journal"
    # not probe runs: a deploy marker and a before/after comparison, cited by deploy.regression
    DEPLOY_MARKER = "deploy.marker"
    DEPLOY_COMPARE = "deploy.compare"
    # not a probe run but the SSH connection itself (HostState), cited by host.unreachable
    HOST_SSH = "ssh"
    # the fleet's series as Prometheus answered them, cited by the fleet.* causes
    FLEET_PROMETHEUS = "fleet.prometheus"


class CauseId(StrEnum):
    """Every cause's stable id (`Finding.cause`, the catalog's keys, `check --json` "id")."""

    CONFIG_INVALID = "config.invalid"
    ENVOY_DOWN = "envoy.down"
    ENVOY_LISTENER_MISSING = "envoy.listener_missing"
    CONFIG_DRIFT = "config.drift"
    CLUSTER_NO_HOSTS = "cluster.no_hosts"
    NETWORK_FIREWALL = "network.firewall"
    CONFIG_TLS_MISMATCH = "config.tls_mismatch"
    CONFIG_PROTOCOL_MISMATCH = "config.protocol_mismatch"
    CONFIG_ENDPOINT_MISMATCH = "config.endpoint_mismatch"
    CONFIG_NO_ROUTE = "config.no_route"
    HEALTHCHECK_MISCONFIGURED = "healthcheck.misconfigured"
    OUTLIER_EJECTED = "outlier.ejected"
    BACKEND_OVERLOADED = "backend.overloaded"
    BACKEND_KEEPALIVE_RACE = "backend.keepalive_race"
    HEALTHCHECK_TIMEOUT = "healthcheck.timeout"
    NETWORK_UNREACHABLE = "network.unreachable"
    BACKEND_DOWN = "backend.down"
    BACKEND_ERRORS = "backend.errors"
    CORS_ORIGIN_NOT_ALLOWED = "cors.origin_not_allowed"
    ENVOY_PANIC_MODE = "envoy.panic_mode"
    HEALTHCHECK_FAILING = "healthcheck.failing"
    ENVOY_ADMIN_UNREACHABLE = "envoy.admin_unreachable"
    HOST_UNREACHABLE = "host.unreachable"
    ENVOY_LISTENER_UNREACHABLE = "envoy.listener_unreachable"
    PROBE_VANTAGE_BLOCKED = "probe.vantage_blocked"
    ROUTE_UPSTREAM_TIMEOUT = "route.upstream_timeout"
    ROUTE_RETRIES_EXHAUSTED = "route.retries_exhausted"
    CONFIG_CONNECT_TIMEOUT = "config.connect_timeout"
    CONFIG_UPSTREAM_SNI = "config.upstream_sni"
    CONFIG_UPDATE_REJECTED = "config.update_rejected"
    # reserved for work in flight (deploy comparison, fleet view): each gets its catalog entry
    # in diagnosis/catalog.py together with the rule that emits it
    DEPLOY_REGRESSION = "deploy.regression"
    FLEET_ENVOY_DOWN = "fleet.envoy_down"
    FLEET_CLUSTER_UNHEALTHY = "fleet.cluster_unhealthy"
    FLEET_ERRORS = "fleet.errors"
    FLEET_OVERFLOW = "fleet.overflow"
    FLEET_CONFIG_SKEW = "fleet.config_skew"


def log_probe(source: str) -> ProbeId:
    """The probe id a log follower reports its state under ("access" → `logs.access`).

    Raises ValueError for a source that has no id (a programming error, not bad input)."""
    return ProbeId(f"logs.{source}")
