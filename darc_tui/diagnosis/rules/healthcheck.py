"""Envoy's active health check: failing, timing out, misconfigured; and the panic it can cause."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.endpoint_views import HcRequestView
from darc_tui.diagnosis.probe_views import HttpView
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import (
    Panic,
    counter,
    direct,
    direct_fact,
    hc_failing,
    hosts_text,
    local_reply_symptoms,
    panic,
    ref,
)
from darc_tui.diagnosis.views import HostView
from darc_tui.errors import SLOW_ANSWER
from darc_tui.ids import CauseId
from darc_tui.model import EvidenceRef, Finding, Verdict
from darc_tui.parse.envoy_summary import ClusterSummary, statuses_text


def _consequence(ctx: Context, state: Panic | None) -> tuple[str, list[EvidenceRef], Verdict]:
    """What the failing check does to traffic: panic routes anyway, otherwise 503 UH."""
    if state is None:
        return "", [], Verdict.DOWN
    if state.in_panic:
        return (
            f"{state.describe()}: Envoy is in panic and routes to every host anyway, so the "
            "failing check alone does not cause 503s",
            [],
            Verdict.DEGRADED,
        )
    uh = local_reply_symptoms(ctx, ("UH",), ("upstream_cx_none_healthy",))
    if state.healthy > 0:
        return (
            f"{state.describe()}: traffic goes to the healthy hosts",
            list(uh.refs),
            Verdict.DEGRADED,
        )
    return (
        f"{state.describe()}: Envoy answers 503 no healthy upstream (UH)",
        list(uh.refs),
        Verdict.DOWN,
    )


def _hc_path(ctx: Context) -> str:
    config = ctx.cluster_config
    return config.hc_path if config is not None and config.hc_path else ctx.health_path


def failing(ctx: Context) -> Iterator[Finding]:
    hosts = hc_failing(ctx)
    clusters = ctx.clusters
    if not hosts or clusters is None:
        return
    state = panic(ctx)
    consequence, uh_refs, severity = _consequence(ctx, state)
    path = _hc_path(ctx)
    support = [ref(clusters.ev, f"health check: {hosts_text(hosts)}"), *uh_refs]
    answer = ""
    asked = [v for v in _asked(ctx, hosts) if not v.passed or v.slow]
    if asked:
        support.append(ref(asked[0].ev, asked[0].fact()))
        got = asked[0].status or asked[0].error_text or "no answer"
        answer = f"; asked the same way from the Envoy host, {asked[0].endpoint} answers {got}"
    http = direct(ctx)
    if http is not None and http.status is not None and not http.ok and path == ctx.health_path:
        support.append(ref(http.ev, direct_fact(http)))
        answer = answer or f"; the backend answers it {http.status} from the Envoy host"
    moved = counter(ctx, "health_check.failure")
    if moved:
        support.append(moved[1])
    summary = (
        f"health check GET {path} marks {len(hosts)}/{len(clusters.hosts)} hosts of {ctx.cluster} "
        f"unhealthy ({', '.join(h.endpoint for h in hosts)}){answer}"
    )
    if consequence:
        summary += f"; {consequence}"
    first = hosts[0]
    yield finding(
        CauseId.HEALTHCHECK_FAILING,
        confidence(0.6, len(support) - 1),
        summary,
        support,
        [],
        [
            steps.curl_from_envoy(
                ctx, f"http://{first.endpoint}{path}", "-H", f"'Host: {_host_header(ctx)}'"
            ),
            steps.cluster_hosts(ctx),
            steps.cluster_stats(ctx, "health_check\\.", "lb_healthy_panic"),
        ],
        severity=severity,
    )


def _asked(ctx: Context, hosts: Iterable[HostView]) -> list[HcRequestView]:
    """The health check's own request (envoy.hc_request), as asked of these hosts."""
    names = {h.endpoint for h in hosts}
    return [v for v in ctx.hc_requests if v.endpoint in names]


def _host_header(ctx: Context) -> str:
    config = ctx.cluster_config
    hc = config.health_check if config is not None else None
    return hc.host if hc is not None and hc.host else ctx.cluster


def timeout(ctx: Context) -> Iterator[Finding]:
    clusters = ctx.clusters
    if clusters is None or ctx.initializing:
        return
    timed_out = clusters.with_flag("active_hc_timeout")
    config = ctx.cluster_config
    limit = config.hc_timeout if config is not None else None
    http = direct(ctx)
    slow = (
        http is not None
        and limit is not None
        and (http.error in SLOW_ANSWER or (http.latency_ms or 0) > limit * 1000)
    )
    asked = [v for v in _asked(ctx, timed_out or hc_failing(ctx)) if v.slow]
    if not timed_out and not ((slow or asked) and hc_failing(ctx)):
        return
    support: list[EvidenceRef] = []
    if timed_out:
        support.append(ref(clusters.ev, f"health check: {hosts_text(timed_out)}"))
    took = ""
    if asked:
        support.append(ref(asked[0].ev, asked[0].fact()))
        took = _slow_words(asked[0])
    if slow and http is not None:
        support.append(ref(http.ev, direct_fact(http)))
        took = took or (
            f"the backend took {http.latency_ms:.0f} ms from the Envoy host, "
            if http.latency_ms
            else ""
        )
    limit_text = (
        f"the health-check timeout is {limit:g} s" if limit is not None else "the check times out"
    )
    hosts = timed_out or hc_failing(ctx)
    consequence, uh_refs, severity = _consequence(ctx, panic(ctx))
    support += uh_refs
    summary = (
        f"health check GET {_hc_path(ctx)} on {', '.join(h.endpoint for h in hosts)} times out: "
        f"{took}{limit_text}"
    )
    if consequence:
        summary += f"; {consequence}"
    yield finding(
        CauseId.HEALTHCHECK_TIMEOUT,
        confidence(0.65, len(support) - 1),
        summary,
        support,
        ["backend.down: the backend accepts the connection, it answers too slowly"],
        [
            steps.curl_from_envoy(
                ctx,
                f"http://{hosts[0].endpoint}{_hc_path(ctx)}",
                "-o /dev/null",
                "-w '%{time_total}\\n'",
            ),
            steps.config_grep(ctx, "timeout"),
            steps.on_backend(ctx, "uptime"),
        ],
        severity=severity,
    )


def _slow_words(view: HcRequestView) -> str:
    if view.answered and view.latency_ms is not None:
        return f"the check's own request took {view.latency_ms:.0f} ms from the Envoy host, "
    return f"the check's own request got no answer ({view.error_text}) from the Envoy host, "


def misconfigured(ctx: Context) -> Iterator[Finding]:
    hosts = [h for h in hc_failing(ctx) if "active_hc_timeout" not in h.flags]
    config = ctx.cluster_config
    http = direct(ctx)
    if not hosts or config is None or config.hc_path is None or http is None or not http.ok:
        return
    # The backend's real health URL answers fine from the Envoy host, yet Envoy's check fails.
    assert http.status is not None
    asked = _asked(ctx, hosts)
    wrong = [v for v in asked if v.answered and not v.passed]
    proven: EvidenceRef | None = None
    if wrong:
        mismatch, base = _proven_mismatch(ctx, wrong[0], http)
        proven = ref(wrong[0].ev, wrong[0].fact())
    elif asked:
        return  # asked exactly like the check, the hosts pass it or do not answer: not this
    else:
        mismatch, base = _inferred_mismatch(ctx, config, http, hosts)
    if not mismatch:
        return
    source = ctx.running if ctx.running is not None else ctx.on_disk
    support = [
        ref(ctx.clusters.ev, f"health check: {hosts_text(hosts)}"),  # type: ignore[union-attr]
        ref(http.ev, direct_fact(http)),
        *([proven] if proven is not None else []),
    ]
    if source is not None:
        support.append(ref(source.ev, f"{config.name} health_checks path {config.hc_path}"))
    consequence, uh_refs, severity = _consequence(ctx, panic(ctx))
    support += uh_refs
    summary = mismatch + (f"; {consequence}" if consequence else "")
    yield finding(
        CauseId.HEALTHCHECK_MISCONFIGURED,
        confidence(base, len(support) - 2 - (proven is not None)),
        summary,
        support,
        ["backend.down: the backend's health URL answers from the Envoy host"],
        [
            wrong[0].ev.command
            if wrong
            else steps.curl_from_envoy(
                ctx,
                f"http://{hosts[0].endpoint}{config.hc_path}",
                "-H",
                f"'Host: {_host_header(ctx)}'",
            ),
            steps.config_grep(ctx, "path:|host:|expected_statuses"),
        ],
        severity=severity,
    )


def _proven_mismatch(ctx: Context, asked: HcRequestView, http: HttpView) -> tuple[str, float]:
    """The check's own request, asked from the Envoy host, gets a status it does not accept
    while the backend's real health URL answers: say which part of the request is wrong."""
    accepted = statuses_text(asked.expected)
    to = f" (redirect to {asked.location})" if asked.location else ""
    head = (
        f"health check {asked.request} gets {asked.status}{to} from {asked.endpoint}, "
        f"the check accepts only {accepted}"
    )
    if asked.path != ctx.health_path:
        why = f"the backend's health path is {ctx.health_path} ({http.status} from the Envoy host)"
        return f"{head}; {why}", 0.8
    if asked.status == http.status:
        why = (
            f"the backend answers {ctx.health_path} {http.status} to any client: allow it in "
            "expected_statuses"
        )
        return f"{head}; {why}", 0.75
    if asked.endpoint == ctx.backend_endpoint:
        why = (
            f"the same path with Host: {urlsplit(ctx.backend_url).netloc} answers {http.status}: "
            "the backend routes by Host; set `host` in the health check"
        )
        return f"{head}; {why}", 0.75
    return f"{head}; {ctx.health_url} answers {http.status} from the Envoy host", 0.6


def _inferred_mismatch(
    ctx: Context, config: ClusterSummary, http: HttpView, hosts: list[HostView]
) -> tuple[str, float]:
    """Without the check's own request: compare envoy.yaml with what the backend URL answers."""
    assert config.hc_path is not None and http.status is not None
    if config.hc_path != ctx.health_path:
        mismatch = (
            f"health check GET {config.hc_path} but the backend's health path is {ctx.health_path} "
            f"({http.status} from the Envoy host)"
        )
        return mismatch, 0.7
    if http.status not in (config.hc_expected_statuses or (200,)):
        accepted = "/".join(map(str, config.hc_expected_statuses or (200,)))
        mismatch = (
            f"the backend answers {ctx.health_path} with {http.status} but the health check accepts "
            f"only {accepted} (expected_statuses)"
        )
        return mismatch, 0.5
    if not config.hc_host and _same_request_fails(ctx, hosts):
        mismatch = (
            f"{ctx.health_path} answers {http.status} from the Envoy host but the check fails: it "
            f"sends Host: {config.name} (no `host` set); a backend routing by Host rejects it"
        )
        return mismatch, 0.5
    return "", 0.0


def _same_request_fails(ctx: Context, hosts: list[HostView]) -> bool:
    """The check and our curl hit the same host:port and path, over the same plain HTTP/1.1, and the
    check fails at the HTTP level (it connected): the Host header is what remains different."""
    config = ctx.cluster_config
    if config is None or config.upstream_tls or config.http2:
        return False
    if not any(h.port == ctx.backend_port for h in hosts):
        return False
    network = ctx.stats.cdelta("health_check.network_failure")
    return network is not None and network == 0


def panic_mode(ctx: Context) -> Iterator[Finding]:
    state = panic(ctx)
    clusters = ctx.clusters
    if state is None or not state.in_panic or clusters is None:
        return
    support = [ref(clusters.ev, f"{state.describe()}: {hosts_text(clusters.unhealthy)}")]
    moved = counter(ctx, "lb_healthy_panic")
    if moved:
        support.append(moved[1])
    summary = (
        f"cluster {ctx.cluster} is in panic: {state.describe()}; Envoy ignores health and routes "
        "to every host, so requests reach the unhealthy hosts"
    )
    yield finding(
        CauseId.ENVOY_PANIC_MODE,
        confidence(0.6 if not state.assumed_default else 0.45, len(support) - 1),
        summary,
        support,
        [],
        [
            steps.cluster_stats(ctx, "lb_healthy_panic", "membership_healthy", "membership_total"),
            steps.cluster_hosts(ctx),
        ],
    )
