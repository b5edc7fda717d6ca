"""Confidence from agreeing evidence, and the order of findings: most specific supported cause first."""

from __future__ import annotations

from collections.abc import Iterable

from darc_tui.diagnosis.catalog import CATALOG
from darc_tui.ids import CauseId
from darc_tui.model import Finding

# winner → causes it explains away entirely (their symptoms are the winner's symptoms).
EXPLAINS: dict[CauseId, frozenset[CauseId]] = {
    CauseId.ENVOY_DOWN: frozenset(
        {CauseId.ENVOY_LISTENER_MISSING, CauseId.ENVOY_ADMIN_UNREACHABLE}
    ),
    CauseId.CLUSTER_NO_HOSTS: frozenset(
        {
            CauseId.HEALTHCHECK_FAILING,
            CauseId.ENVOY_PANIC_MODE,
            CauseId.BACKEND_DOWN,
            CauseId.CONFIG_ENDPOINT_MISMATCH,
        }
    ),
    CauseId.NETWORK_FIREWALL: frozenset(
        {
            CauseId.NETWORK_UNREACHABLE,
            CauseId.BACKEND_DOWN,
            CauseId.HEALTHCHECK_FAILING,
            CauseId.HEALTHCHECK_TIMEOUT,
        }
    ),
    CauseId.NETWORK_UNREACHABLE: frozenset(
        {CauseId.HEALTHCHECK_FAILING, CauseId.HEALTHCHECK_TIMEOUT}
    ),
    CauseId.CONFIG_ENDPOINT_MISMATCH: frozenset(
        {CauseId.BACKEND_DOWN, CauseId.HEALTHCHECK_FAILING, CauseId.HEALTHCHECK_MISCONFIGURED}
    ),
    CauseId.CONFIG_TLS_MISMATCH: frozenset(
        {CauseId.BACKEND_DOWN, CauseId.HEALTHCHECK_FAILING, CauseId.HEALTHCHECK_MISCONFIGURED}
    ),
    CauseId.CONFIG_PROTOCOL_MISMATCH: frozenset({CauseId.BACKEND_ERRORS}),
    CauseId.HEALTHCHECK_MISCONFIGURED: frozenset({CauseId.HEALTHCHECK_FAILING}),
    CauseId.HEALTHCHECK_TIMEOUT: frozenset({CauseId.HEALTHCHECK_FAILING}),
    CauseId.BACKEND_DOWN: frozenset({CauseId.HEALTHCHECK_FAILING}),
    CauseId.BACKEND_OVERLOADED: frozenset({CauseId.BACKEND_KEEPALIVE_RACE}),
}


def confidence(base: float, agreeing: int = 0, unconfirmed: int = 0) -> float:
    """`base` for the core evidence, raised by each independent agreeing item, lowered by each
    probe that could have confirmed it but could not run."""
    value = base + 0.08 * agreeing - 0.12 * unconfirmed
    return max(0.1, min(0.98, value))


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Drop causes a present winner explains; order by specificity, then confidence."""
    best: dict[CauseId, Finding] = {}
    for f in findings:
        if f.cause not in best or f.confidence > best[f.cause].confidence:
            best[f.cause] = f
    present = set(best)
    explained = set().union(*(EXPLAINS.get(c, frozenset()) for c in present))
    kept = [f for c, f in best.items() if c not in explained]
    return sorted(
        kept,
        key=lambda f: (-(CATALOG[f.cause].specificity + f.rank_adjust), -f.confidence, f.cause),
    )
