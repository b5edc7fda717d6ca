"""Confidence from agreeing evidence, and the order of findings: most specific supported cause first."""

from __future__ import annotations

from collections.abc import Iterable

from darc_tui.diagnosis.catalog import CATALOG
from darc_tui.model import Finding

# winner → causes it explains away entirely (their symptoms are the winner's symptoms).
EXPLAINS: dict[str, frozenset[str]] = {
    "envoy.down": frozenset({"envoy.listener_missing", "envoy.admin_unreachable"}),
    "cluster.no_hosts": frozenset(
        {"healthcheck.failing", "envoy.panic_mode", "backend.down", "config.endpoint_mismatch"}
    ),
    "network.firewall": frozenset(
        {"network.unreachable", "backend.down", "healthcheck.failing", "healthcheck.timeout"}
    ),
    "network.unreachable": frozenset({"healthcheck.failing", "healthcheck.timeout"}),
    "config.endpoint_mismatch": frozenset(
        {"backend.down", "healthcheck.failing", "healthcheck.misconfigured"}
    ),
    "config.tls_mismatch": frozenset(
        {"backend.down", "healthcheck.failing", "healthcheck.misconfigured"}
    ),
    "config.protocol_mismatch": frozenset({"backend.errors"}),
    "healthcheck.misconfigured": frozenset({"healthcheck.failing"}),
    "healthcheck.timeout": frozenset({"healthcheck.failing"}),
    "backend.down": frozenset({"healthcheck.failing"}),
    "backend.overloaded": frozenset({"backend.keepalive_race"}),
}


def confidence(base: float, agreeing: int = 0, unconfirmed: int = 0) -> float:
    """`base` for the core evidence, raised by each independent agreeing item, lowered by each
    probe that could have confirmed it but could not run."""
    value = base + 0.08 * agreeing - 0.12 * unconfirmed
    return max(0.1, min(0.98, value))


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Drop causes a present winner explains; order by specificity, then confidence."""
    best: dict[str, Finding] = {}
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
