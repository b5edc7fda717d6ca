"""The cause catalog and its rules: `diagnose(state, config) -> list[Finding]`, pure and fast."""

from __future__ import annotations

import logging

from darc_tui.config import Config
from darc_tui.diagnosis.catalog import CATALOG, CAUSE_IDS, Cause
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rank import rank, roots
from darc_tui.diagnosis.rules import RULES, deploy
from darc_tui.model import Finding, Verdict
from darc_tui.state import State

log = logging.getLogger(__name__)


def diagnose(state: State, config: Config) -> list[Finding]:
    """Findings for the current state, root causes first, each followed by what it explains."""
    ctx = Context(state, config)
    found: list[Finding] = []
    for rule in RULES:
        try:
            found.extend(rule(ctx))
        except Exception:  # one broken rule must not hide what the others found
            log.exception("diagnosis rule %s failed", getattr(rule, "__qualname__", rule))
    ranked = rank(found)
    try:
        return deploy.with_regression(ctx, ranked)
    except Exception:
        log.exception("deploy regression rule failed")
        return ranked


def verdict(findings: list[Finding] | tuple[Finding, ...]) -> Verdict:
    """From the root causes: a consequence listed under its cause does not decide the verdict."""
    findings = roots(findings)
    if not findings:
        return Verdict.OK
    if any(f.severity is Verdict.DOWN for f in findings):
        return Verdict.DOWN
    return Verdict.DEGRADED


__all__ = ["CATALOG", "CAUSE_IDS", "Cause", "diagnose", "verdict"]
