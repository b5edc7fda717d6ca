"""The cause catalog: stable ids, titles, severity and how specific each cause is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from darc_tui.ids import CauseId
from darc_tui.model import EvidenceRef, Finding, Verdict


@dataclass(frozen=True, slots=True)
class Cause:
    id: CauseId
    title: str
    # Higher = names a more precise mechanism; breaks ties between supported causes.
    specificity: int
    severity: Verdict = Verdict.DOWN


# Ordered by specificity: a cause naming a precise mechanism outranks the generic symptom it causes
# (config.invalid explains a dead Envoy; drift explains the mismatch it brought in; a firewall rule
# explains a connect timeout; panic only outranks the health check that put the cluster in panic).
_CAUSES = (
    # A deploy that made things worse is where the story starts; the mechanisms it brought in
    # follow it and its summary names them.
    Cause(CauseId.DEPLOY_REGRESSION, "A deploy made things worse", 97, Verdict.DEGRADED),
    Cause(CauseId.CONFIG_INVALID, "envoy.yaml on disk does not validate", 95, Verdict.DEGRADED),
    Cause(CauseId.ENVOY_DOWN, "Envoy is not running", 92),
    Cause(CauseId.ENVOY_LISTENER_MISSING, "Envoy runs but the listener port is not bound", 90),
    Cause(CauseId.CONFIG_DRIFT, "The running config differs from envoy.yaml on disk", 88),
    Cause(CauseId.CLUSTER_NO_HOSTS, "The cluster has no endpoints at all", 86),
    Cause(CauseId.NETWORK_FIREWALL, "A firewall rule drops or rejects the backend port", 84),
    Cause(CauseId.CONFIG_TLS_MISMATCH, "TLS on one side, plain text on the other", 82),
    Cause(
        CauseId.CONFIG_PROTOCOL_MISMATCH,
        "HTTP/2 upstream against an HTTP/1 backend (or reverse)",
        82,
    ),
    Cause(
        CauseId.CONFIG_ENDPOINT_MISMATCH,
        "The cluster points at an address the backend does not use",
        80,
    ),
    Cause(CauseId.CONFIG_NO_ROUTE, "The request path matches no route (NR)", 78),
    Cause(
        CauseId.HEALTHCHECK_MISCONFIGURED,
        "The health check in envoy.yaml does not match the backend",
        76,
    ),
    Cause(
        CauseId.CONFIG_UPDATE_REJECTED,
        "Envoy rejected a configuration update; the last accepted config stays live",
        87,
        Verdict.DEGRADED,
    ),
    Cause(
        CauseId.CONFIG_UPSTREAM_SNI,
        "Upstream TLS without the server name the backend needs (SNI)",
        83,
    ),
    Cause(
        CauseId.CONFIG_CONNECT_TIMEOUT,
        "The cluster's connect_timeout is shorter than the connect to the backend takes",
        79,
    ),
    Cause(
        CauseId.ROUTE_UPSTREAM_TIMEOUT,
        "The route's timeout runs out before the backend answers (504 UT)",
        73,
    ),
    Cause(
        CauseId.ROUTE_RETRIES_EXHAUSTED,
        "Envoy's retries ran out (URX); the last failure reaches the client",
        51,
    ),
    Cause(CauseId.OUTLIER_EJECTED, "Outlier detection ejected host(s)", 72),
    Cause(CauseId.BACKEND_OVERLOADED, "Backend saturated or Envoy's circuit breakers open", 70),
    Cause(
        CauseId.BACKEND_KEEPALIVE_RACE,
        "The backend closes keep-alive connections Envoy still reuses",
        68,
    ),
    Cause(CauseId.HEALTHCHECK_TIMEOUT, "The health check times out before the backend answers", 66),
    Cause(CauseId.NETWORK_UNREACHABLE, "The backend is not reachable from the Envoy host", 60),
    Cause(CauseId.BACKEND_DOWN, "Nothing listens on the backend address", 55),
    Cause(CauseId.BACKEND_ERRORS, "The backend itself answers 5xx; Envoy passes them through", 52),
    Cause(CauseId.CORS_ORIGIN_NOT_ALLOWED, "CORS preflight from the site origin is refused", 50),
    Cause(
        CauseId.ENVOY_PANIC_MODE,
        "Cluster in panic: Envoy routes to every host",
        47,
        Verdict.DEGRADED,
    ),
    Cause(
        CauseId.HEALTHCHECK_FAILING, "Envoy's active health check marks the host(s) unhealthy", 45
    ),
    Cause(
        CauseId.ENVOY_ADMIN_UNREACHABLE, "Envoy's admin API cannot be read", 40, Verdict.DEGRADED
    ),
    # Not a cause of the 503 but of blindness: the checks on that host could not run at all.
    Cause(
        CauseId.ENVOY_LISTENER_UNREACHABLE,
        "Envoy's listener does not complete a request (TLS, certificate, SNI, reset)",
        74,
    ),
    # Not an outage: real traffic succeeds, darc-tui's own request (its Host, SNI, CA) does not.
    Cause(
        CauseId.PROBE_VANTAGE_BLOCKED,
        "darc-tui cannot get through the listener that real traffic uses",
        32,
        Verdict.DEGRADED,
    ),
    Cause(CauseId.HOST_UNREACHABLE, "darc-tui cannot reach a host over SSH", 30, Verdict.DEGRADED),
    # Fleet findings (`darc-tui fleet`, the fleet screen): read from Prometheus, each names how
    # many Envoys it reaches. Ranked among themselves: a dead Envoy first, then a cluster that
    # lost its hosts (which explains the 5xx and panic it causes), then overflow, errors, skew.
    Cause(CauseId.FLEET_ENVOY_DOWN, "Envoy(s) of the fleet down or not live", 93),
    Cause(CauseId.FLEET_CLUSTER_UNHEALTHY, "A cluster has no or too few healthy hosts", 87),
    Cause(CauseId.FLEET_OVERFLOW, "Circuit breakers overflow on Envoy(s) of the fleet", 71),
    Cause(CauseId.FLEET_ERRORS, "Envoy(s) of the fleet answer 5xx above the threshold", 51),
    Cause(
        CauseId.FLEET_CONFIG_SKEW,
        "Envoys of one job run different epochs, versions or clusters",
        35,
        Verdict.DEGRADED,
    ),
)

CATALOG: dict[CauseId, Cause] = {c.id: c for c in _CAUSES}
CAUSE_IDS: tuple[CauseId, ...] = tuple(CATALOG)


def finding(
    cause: CauseId,
    confidence: float,
    summary: str,
    evidence: Iterable[EvidenceRef] = (),
    ruled_out: Iterable[str] = (),
    next_steps: Iterable[str] = (),
    severity: Verdict | None = None,
) -> Finding:
    """A Finding for a catalog cause, title and severity filled in from the catalog."""
    entry = CATALOG[cause]
    return Finding(
        cause=cause,
        title=entry.title,
        confidence=max(0.05, min(0.99, confidence)),
        summary=summary,
        evidence=_unique(evidence),
        ruled_out=tuple(dict.fromkeys(ruled_out)),
        next_steps=tuple(dict.fromkeys(next_steps)),
        severity=entry.severity if severity is None else severity,
    )


def _unique(refs: Iterable[EvidenceRef]) -> tuple[EvidenceRef, ...]:
    seen: dict[tuple[str, str, str, str], EvidenceRef] = {}
    for ref in refs:
        seen.setdefault((ref.probe, ref.target, ref.vantage.value, ref.fact), ref)
    return tuple(seen.values())
