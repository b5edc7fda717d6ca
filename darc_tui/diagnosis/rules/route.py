"""What the route does to a request the backend would answer: a timeout shorter than the backend's
answer (504 UT), retries that ran out (URX)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import counter, direct, flagged, ref, through, through_fact
from darc_tui.ids import CauseId
from darc_tui.model import EvidenceRef, Finding


def upstream_timeout(ctx: Context) -> Iterator[Finding]:
    """504 `upstream request timeout` (UT): Envoy stopped waiting before the backend answered."""
    support: list[EvidenceRef] = []
    view = through(ctx)
    if view is not None and view.status == 504 and view.flag == "UT":
        support.append(ref(view.ev, through_fact(view)))
    seen = flagged(ctx, "UT")
    if seen:
        support.append(seen[1])
    moved = counter(ctx, "upstream_rq_timeout")
    if moved:
        support.append(moved[1])
    if not support:
        return
    backend = direct(ctx)
    answered = ""
    if backend is not None and backend.status is not None and backend.latency_ms is not None:
        answered = f"; from the Envoy host the backend answers in {backend.latency_ms:.0f} ms"
        support.append(ref(backend.ev))
    yield finding(
        CauseId.ROUTE_UPSTREAM_TIMEOUT,
        confidence(0.7, len(support) - 1),
        "Envoy answers 504 upstream request timeout (UT): the route's timeout (15 s unless "
        f"`timeout` is set on the route) runs out before the backend answers{answered}",
        support,
        ["backend.down: the backend accepts the request and answers, only too late"],
        [
            ctx.on_envoy_host(
                f"curl -s -o /dev/null -w '%{{time_total}}\\n' {shlex.quote(ctx.health_url)}"
            ),
            ctx.on_envoy_host(f"grep -n timeout {shlex.quote(ctx.config.envoy.config_path)}"),
            steps.cluster_stats(ctx, "upstream_rq_timeout"),
        ],
    )


def retries_exhausted(ctx: Context) -> Iterator[Finding]:
    """URX: Envoy retried (retry_policy) and every attempt failed; the last failure is returned."""
    support: list[EvidenceRef] = []
    seen = flagged(ctx, "URX")
    if seen:
        support.append(seen[1])
    moved = counter(ctx, "upstream_rq_retry_limit_exceeded")
    if moved:
        support.append(moved[1])
    if not support:
        return
    retried = counter(ctx, "upstream_rq_retry")
    tries = f" after {retried[0]:g} retries" if retried else ""
    example = ctx.access.example("URX") if ctx.access else None
    status = f" {example}" if example else ""
    yield finding(
        CauseId.ROUTE_RETRIES_EXHAUSTED,
        confidence(0.65, len(support) - 1),
        f"Envoy's retries ran out{tries}: requests end with{status} URX (upstream retry limit "
        "exceeded), the last attempt's failure is what the client gets",
        support,
        [],
        [
            steps.cluster_stats(
                ctx, "upstream_rq_retry", "upstream_rq_retry_limit_exceeded", "upstream_rq_5xx"
            ),
            ctx.on_envoy_host(
                f"grep -n -A4 retry_policy {shlex.quote(ctx.config.envoy.config_path)}"
            ),
        ],
    )
