"""Confidence from agreeing evidence, and the cause graph: which finding explains which.

`GRAPH` is the one place that says what explains what. An edge `cause → consequence` either keeps
the consequence, listed under its cause with `explained_by` (it carries evidence of its own: panic
mode is what Envoy does *because* every host failed its check), or drops it (it is the cause's
own symptom under a wrong name: "nothing listens on the backend address" when the cluster simply
points at the wrong port). Independent roots are ordered by how precise a mechanism they name (the
catalog's specificity), then by confidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from darc_tui.diagnosis.catalog import CATALOG
from darc_tui.ids import CauseId as C
from darc_tui.model import Finding


@dataclass(frozen=True, slots=True)
class Edge:
    cause: C
    consequence: C
    keep: bool  # True: list the consequence under its cause; False: drop it


def _edges(cause: C, keep: Iterable[C] = (), drop: Iterable[C] = ()) -> tuple[Edge, ...]:
    return tuple(Edge(cause, c, True) for c in keep) + tuple(Edge(cause, c, False) for c in drop)


GRAPH: tuple[Edge, ...] = (
    *_edges(C.ENVOY_DOWN, drop=(C.ENVOY_LISTENER_MISSING, C.ENVOY_ADMIN_UNREACHABLE)),
    # an Envoy that cannot load its config does not (re)start
    *_edges(C.CONFIG_INVALID, keep=(C.ENVOY_DOWN,)),
    # the running config brought in the mismatch / missing route that the file no longer has
    *_edges(
        C.CONFIG_DRIFT,
        keep=(
            C.CONFIG_ENDPOINT_MISMATCH,
            C.CONFIG_TLS_MISMATCH,
            C.CONFIG_PROTOCOL_MISMATCH,
            C.CONFIG_NO_ROUTE,
        ),
    ),
    *_edges(
        C.CLUSTER_NO_HOSTS,
        drop=(
            C.HEALTHCHECK_FAILING,
            C.ENVOY_PANIC_MODE,
            C.BACKEND_DOWN,
            C.CONFIG_ENDPOINT_MISMATCH,
        ),
    ),
    *_edges(
        C.NETWORK_FIREWALL,
        keep=(C.HEALTHCHECK_FAILING, C.HEALTHCHECK_TIMEOUT),
        drop=(C.NETWORK_UNREACHABLE, C.BACKEND_DOWN),
    ),
    *_edges(C.NETWORK_UNREACHABLE, keep=(C.HEALTHCHECK_FAILING, C.HEALTHCHECK_TIMEOUT)),
    # the health check's TLS handshake lacks the name too
    *_edges(C.CONFIG_UPSTREAM_SNI, keep=(C.HEALTHCHECK_FAILING,), drop=(C.CONFIG_TLS_MISMATCH,)),
    # the health check uses the same connect_timeout: its connects time out too
    *_edges(
        C.CONFIG_CONNECT_TIMEOUT,
        keep=(C.HEALTHCHECK_FAILING, C.HEALTHCHECK_TIMEOUT),
        drop=(C.NETWORK_UNREACHABLE,),
    ),
    *_edges(
        C.CONFIG_ENDPOINT_MISMATCH,
        keep=(C.HEALTHCHECK_FAILING,),
        drop=(C.BACKEND_DOWN, C.HEALTHCHECK_MISCONFIGURED),
    ),
    *_edges(
        C.CONFIG_TLS_MISMATCH,
        keep=(C.HEALTHCHECK_FAILING,),
        drop=(C.BACKEND_DOWN, C.HEALTHCHECK_MISCONFIGURED),
    ),
    # an h2c-only backend leaves Envoy's HTTP/1.1 health check waiting: it times out
    *_edges(
        C.CONFIG_PROTOCOL_MISMATCH,
        keep=(C.HEALTHCHECK_FAILING, C.HEALTHCHECK_TIMEOUT),
        drop=(C.BACKEND_ERRORS,),
    ),
    # the precise reason the check fails names the same fact as "the check fails", more exactly
    *_edges(C.HEALTHCHECK_MISCONFIGURED, keep=(C.ENVOY_PANIC_MODE,), drop=(C.HEALTHCHECK_FAILING,)),
    *_edges(C.HEALTHCHECK_TIMEOUT, keep=(C.ENVOY_PANIC_MODE,), drop=(C.HEALTHCHECK_FAILING,)),
    *_edges(
        C.BACKEND_DOWN,
        keep=(C.HEALTHCHECK_FAILING, C.OUTLIER_EJECTED, C.ROUTE_RETRIES_EXHAUSTED),
    ),
    # Envoy ejects the hosts *because* they answer 5xx (consecutive_5xx), and retries them in vain
    *_edges(C.BACKEND_ERRORS, keep=(C.OUTLIER_EJECTED, C.ROUTE_RETRIES_EXHAUSTED)),
    # Envoy routes to every host *because* too few passed their health check
    *_edges(C.HEALTHCHECK_FAILING, keep=(C.ENVOY_PANIC_MODE,)),
    *_edges(C.OUTLIER_EJECTED, keep=(C.ENVOY_PANIC_MODE,)),
    *_edges(C.BACKEND_OVERLOADED, drop=(C.BACKEND_KEEPALIVE_RACE,)),
    # the backend's own 5xx answer to the preflight carries no Access-Control-* headers
    *_edges(C.BACKEND_ERRORS, keep=(C.CORS_ORIGIN_NOT_ALLOWED,)),
    # the file on disk no longer matches what runs: the edit that broke it was never loaded
    *_edges(C.CONFIG_INVALID, keep=(C.CONFIG_DRIFT,)),
)


def explains(cause: C) -> frozenset[C]:
    """Every finding `cause` accounts for, kept or dropped (one step)."""
    return frozenset(e.consequence for e in GRAPH if e.cause == cause)


def confidence(base: float, agreeing: int = 0, unconfirmed: int = 0) -> float:
    """`base` for the core evidence, raised by each independent agreeing item, lowered by each
    probe that could have confirmed it but could not run."""
    value = base + 0.08 * agreeing - 0.12 * unconfirmed
    return max(0.1, min(0.98, value))


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Roots first (most precise mechanism, then most confident), each followed by the findings
    it explains; a consequence carries `explained_by`, a dropped one is gone."""
    best: dict[C, Finding] = {}
    for f in findings:
        if f.cause not in best or f.confidence > best[f.cause].confidence:
            best[f.cause] = f
    present = set(best)
    dropped = {e.consequence for e in GRAPH if not e.keep and e.cause in present}
    kept = {c: f for c, f in best.items() if c not in dropped}
    parents = {
        c: tuple(sorted({e.cause for e in GRAPH if e.keep and e.consequence == c} & set(kept)))
        for c in kept
    }
    ordered: list[Finding] = []
    placed: set[C] = set()

    def place(cause: C, explained_by: tuple[C, ...]) -> None:
        if cause in placed:
            return
        placed.add(cause)
        ordered.append(replace(kept[cause], explained_by=explained_by))
        children = [c for c in kept if cause in parents[c]]
        for child in sorted(children, key=lambda c: _order(kept[c])):
            place(child, _by_order(parents[child], kept))

    for root in sorted((c for c in kept if not parents[c]), key=lambda c: _order(kept[c])):
        place(root, ())
    for rest in sorted((c for c in kept if c not in placed), key=lambda c: _order(kept[c])):
        place(rest, _by_order(parents[rest], kept))  # only reachable through a cycle
    return ordered


def _order(f: Finding) -> tuple[int, float, str]:
    return (-CATALOG[f.cause].specificity, -f.confidence, f.cause)


def _by_order(causes: tuple[C, ...], kept: dict[C, Finding]) -> tuple[C, ...]:
    return tuple(sorted(causes, key=lambda c: _order(kept[c])))


def roots(findings: Iterable[Finding]) -> list[Finding]:
    """The findings no other listed finding explains: what the verdict is made of."""
    return [f for f in findings if not f.explained_by]
