"""Too much for the backend: circuit breakers overflowing, a saturated host; outlier ejection."""

from __future__ import annotations

from collections.abc import Iterator

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.probe_views import HttpView, http_view, load_average
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import (
    counter,
    direct,
    hosts_text,
    local_reply_symptoms,
    ref,
    through,
)
from darc_tui.errors import SLOW_ANSWER
from darc_tui.ids import CauseId, ProbeId
from darc_tui.model import Evidence, EvidenceRef, Finding, Vantage, Verdict

# Envoy's circuit-breaker overflow counters (cluster.<name>.<counter>).
OVERFLOW_COUNTERS = (
    "upstream_rq_pending_overflow",
    "upstream_cx_overflow",
    "upstream_rq_retry_overflow",
)


def overloaded(ctx: Context) -> Iterator[Finding]:
    symptoms = local_reply_symptoms(ctx, ("UO",), OVERFLOW_COUNTERS)
    view = through(ctx)
    support: list[EvidenceRef] = list(symptoms.refs)
    if view is not None and view.overloaded and not any(r.probe == view.ev.probe for r in support):
        support.append(ref(view.ev, f"GET {view.url} → {view.status} x-envoy-overloaded: true"))
    if not support:
        # Only Envoy's own overflow evidence names this cause: a loaded host answering slowly is
        # correlation (a slow app on a busy host also times out its check, which says more)
        return
    host_ev, load1, cpus = _backend_load(ctx)
    saturated = load1 is not None and bool(cpus) and load1 > 2 * (cpus or 1) and _slow(ctx)
    moved = [(name, counter(ctx, name)) for name in OVERFLOW_COUNTERS]
    overflowing = [f"{name} +{m[0]:g}" for name, m in moved if m is not None]
    config = ctx.cluster_config
    limits = ""
    if config is not None:
        limits = (
            f" (max_connections {config.max_connections}, max_pending_requests "
            f"{config.max_pending_requests}, max_requests {config.max_requests})"
        )
    parts = [f"Envoy's circuit breakers for {ctx.cluster} overflow"]
    if overflowing:
        parts.append(", ".join(overflowing) + limits)
    if symptoms.text:
        parts.append(f"{symptoms.text} (reset reason: overflow, x-envoy-overloaded)")
    if saturated:
        parts.append(f"the backend host is saturated: load {load1:g} on {cpus} CPUs")
    summary = "; ".join(parts)
    if saturated and host_ev is not None:
        support.append(ref(host_ev, f"load {load1:g} on {cpus} CPUs"))
    yield finding(
        CauseId.BACKEND_OVERLOADED,
        confidence(0.65, len(support) - 1),
        summary,
        support,
        ["backend.down / healthcheck.failing: the hosts stay healthy; Envoy sheds the excess"],
        [
            steps.cluster_stats(
                ctx, "upstream_rq_pending_overflow", "upstream_cx_overflow", "upstream_rq_active"
            ),
            steps.cluster_hosts(ctx),
            steps.on_backend(ctx, "uptime"),
        ],
    )


def _backend_load(ctx: Context) -> tuple[Evidence | None, float | None, int | None]:
    """The backend host's load: its own probe, or the Envoy host's when the backend runs there.
    The jump box's or a separate Envoy host's load says nothing about the backend."""
    ev = ctx.latest(ProbeId.HOST_LOAD, Vantage.BACKEND_HOST)
    if ev is None and ctx.backend_is_local_to_envoy:
        ev = ctx.latest(ProbeId.HOST_LOAD, Vantage.ENVOY_HOST)
    load1, cpus = load_average(ev)
    return ev, load1, cpus


SLOW_SAMPLES = 3  # a saturated host is slow again and again, not once


def _slow(ctx: Context) -> bool:
    """The backend answers slowly (over a second) or not in time, from the Envoy host, in each of
    the last few samples: one slow answer on a busy jump box or CI machine is not saturation."""
    http = direct(ctx)
    if http is None:
        return False
    recent = ctx.state.history(http.ev.probe, http.ev.target)[-SLOW_SAMPLES:]
    if len(recent) < SLOW_SAMPLES:
        return False
    return all(_slow_sample(http_view(ev)) for ev in recent)


def _slow_sample(http: HttpView | None) -> bool:
    if http is None:
        return False
    if http.status is None:
        return http.error in SLOW_ANSWER
    return (http.latency_ms or 0) > 1000


def ejected(ctx: Context) -> Iterator[Finding]:
    clusters = ctx.clusters
    hosts = clusters.with_flag("failed_outlier_check") if clusters is not None else ()
    active = ctx.stats.cgauge("outlier_detection.ejections_active")
    if not hosts and not active:
        return
    if (
        not hosts
        and clusters is not None
        and clusters.hosts
        and (active or 0) >= len(clusters.hosts)
    ):
        hosts = clusters.hosts  # every host is out, even if /clusters was read a moment earlier
    support: list[EvidenceRef] = []
    if hosts and clusters is not None:
        support.append(ref(clusters.ev, f"outlier: {hosts_text(hosts)}"))
    if active and ctx.stats.ev is not None:
        support.append(
            ref(
                ctx.stats.ev,
                f"cluster.{ctx.stat_name}.outlier_detection.ejections_active {active:g}",
            )
        )
    for name in (
        "outlier_detection.ejections_enforced_consecutive_5xx",
        "outlier_detection.ejections_enforced_total",
    ):
        moved = counter(ctx, name)
        if moved:
            support.append(moved[1])
            break
    total = len(clusters.hosts) if clusters is not None else 0
    count = len(hosts) or int(active or 0)
    names = ", ".join(h.endpoint for h in hosts) or f"{count} host(s)"
    all_out = total > 0 and count >= total
    summary = (
        f"outlier detection ejected {count}/{total or '?'} hosts of {ctx.cluster} ({names}) after "
        "consecutive errors"
    )
    summary += ": no host left to serve" if all_out else "; traffic goes to the remaining hosts"
    yield finding(
        CauseId.OUTLIER_EJECTED,
        confidence(0.7, len(support) - 1),
        summary,
        support,
        [],
        [
            steps.cluster_hosts(ctx),
            steps.cluster_stats(ctx, "outlier_detection\\."),
            *(
                steps.curl_from_envoy(ctx, f"http://{h.endpoint}{ctx.health_path}")
                for h in hosts[:2]
            ),
        ],
        severity=Verdict.DOWN if all_out else Verdict.DEGRADED,
    )
