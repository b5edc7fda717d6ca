"""The cause catalog and its rules: `diagnose(state, config) -> list[Finding]`, pure and fast."""

from __future__ import annotations

from darc_tui.config import Config
from darc_tui.model import Finding, Verdict
from darc_tui.state import State


def diagnose(state: State, config: Config) -> list[Finding]:
    """Ranked findings for the current state (most specific, most confident first)."""
    return []


def verdict(findings: list[Finding] | tuple[Finding, ...]) -> Verdict:
    if not findings:
        return Verdict.OK
    if any(f.severity is Verdict.DOWN for f in findings):
        return Verdict.DOWN
    return Verdict.DEGRADED
