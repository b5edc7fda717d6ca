"""deploy.regression: a deploy marker followed by worse 5xx, flags, host health or latency.

It runs after the other rules (on their ranked findings), because it names the causes the deploy
brought in: those first found after the deploy and still present.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from darc_tui.deploy.compare import Comparison, compare_all
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.ids import CauseId, ProbeId
from darc_tui.model import EvidenceRef, Finding, Vantage, Verdict

CAUSE = CauseId.DEPLOY_REGRESSION
INTRODUCED_SLACK_S = 2.0  # a cause found this soon before the marker's time still came with it


def with_regression(ctx: Context, ranked: Sequence[Finding]) -> list[Finding]:
    """The ranked findings, led by deploy.regression when the latest deploy made things worse;
    the root causes it brought in are listed under it (`explained_by`)."""
    comparisons = [c for c in compare_all(ctx.state, ctx.config.deploy, ctx.now) if c.regressed]
    if not comparisons:
        return list(ranked)
    latest = comparisons[-1]
    introduced = [
        f
        for f in ranked
        if f.cause != CAUSE
        and not f.explained_by
        and ctx.state.cause_since.get(f.cause, ctx.now) >= latest.at - INTRODUCED_SLACK_S
    ]
    lead = _finding(ctx, latest, [f.cause for f in introduced])
    if any(f.severity is Verdict.DOWN for f in introduced):
        lead = replace(lead, severity=Verdict.DOWN)  # the verdict is read from the roots
    brought = {f.cause for f in introduced}
    rest = [replace(f, explained_by=(CAUSE,)) if f.cause in brought else f for f in ranked]
    return [lead, *rest]


def _finding(ctx: Context, c: Comparison, introduced: list[CauseId]) -> Finding:
    when = time.strftime("%H:%M:%S", time.localtime(c.at))
    ago = _ago(ctx.now - c.at)
    summary = f"deploy {ago} ({when}: {c.describe()}): " + "; ".join(c.worse)
    if introduced:
        summary += f"; brought in {', '.join(introduced)}"
    refs = [
        EvidenceRef(ProbeId.DEPLOY_MARKER, m.host, _vantage(m.host, ctx), m.at, m.detail)
        for m in c.markers
    ]
    refs += [
        EvidenceRef(ProbeId.DEPLOY_COMPARE, "after vs before", Vantage.THROUGH_ENVOY, ctx.now, w)
        for w in c.worse
    ]
    admin = ctx.config.envoy.admin_url.rstrip("/")
    steps = [
        f"curl -s {admin}/config_dump?include_eds  # what is running since {when}",
        "roll back the deploy, or fix it forward: "
        + (f"start with {introduced[0]}" if introduced else "compare the logs from " + when),
    ]
    confidence = 0.6 + 0.1 * min(3, len(c.worse)) + (0.1 if introduced else 0.0)
    return finding(CAUSE, confidence, summary, refs, next_steps=steps)


def _vantage(host: str, ctx: Context) -> Vantage:
    return Vantage.ENVOY_HOST if host == ctx.config.envoy.host else Vantage.BACKEND_HOST


def _ago(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    return f"{s // 3600}h{s % 3600 // 60:02d} ago"
