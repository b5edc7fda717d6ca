"""Every rule of the cause catalog, one function per cause (a rule may yield several findings)."""

from __future__ import annotations

from darc_tui.diagnosis.rules import (
    backend,
    config,
    cors,
    envoy,
    healthcheck,
    hosts,
    listener,
    network,
    overload,
    route,
    upstream_tls,
)
from darc_tui.diagnosis.rules.common import Rule

RULES: tuple[Rule, ...] = (
    envoy.envoy_down,
    envoy.listener_missing,
    envoy.admin_unreachable,
    listener.listener_unreachable,
    backend.backend_down,
    network.unreachable,
    network.firewall,
    network.connect_timeout_short,
    healthcheck.failing,
    healthcheck.timeout,
    healthcheck.misconfigured,
    config.invalid,
    config.endpoint_mismatch,
    config.tls_mismatch,
    upstream_tls.sni_missing,
    config.protocol_mismatch,
    config.no_route,
    config.drift,
    envoy.update_rejected,
    overload.overloaded,
    overload.ejected,
    backend.backend_errors,
    route.upstream_timeout,
    route.retries_exhausted,
    backend.keepalive_race,
    backend.no_hosts,
    healthcheck.panic_mode,
    cors.origin_not_allowed,
    hosts.unreachable,
)

__all__ = ["RULES", "Rule"]
