"""The path from the Envoy host to the backend: packets dropped (timeout) or rejected by a rule."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import (
    connect_fact,
    connects_failing,
    direct,
    direct_fact,
    local_reply_symptoms,
    ref,
)
from darc_tui.errors import WORDS, ErrorKind
from darc_tui.ids import CauseId
from darc_tui.model import EvidenceRef, Finding, Vantage, Verdict

_TIMEOUT_FLAGS = ("UF",)
_TIMEOUT_COUNTERS = ("upstream_cx_connect_timeout",)


_DEAD = (ErrorKind.CONNECT_TIMEOUT, ErrorKind.REFUSED, ErrorKind.NO_ROUTE)


def _connect_failures(ctx: Context, kinds: tuple[ErrorKind, ...]) -> list[tuple[str, EvidenceRef]]:
    """(host:port, evidence) of connects from the Envoy host that failed with one of `kinds`: to the
    backend URL, and to each host of the cluster.

    An HTTP request's overall deadline ("timeout") does not say whether it ever connected, so
    only a plain TCP connect or an explicit connect error counts here."""
    out: list[tuple[str, EvidenceRef]] = []
    tcp, http = ctx.tcp(), direct(ctx)
    backend = ctx.backend_endpoint
    if tcp is not None and not tcp.ok and tcp.error in kinds:
        word = WORDS[tcp.error or ErrorKind.OTHER]
        out.append((backend, ref(tcp.ev, f"connect {backend} from the Envoy host: {word}")))
    if (
        http is not None
        and http.status is None
        and http.error in kinds
        and http.error is not ErrorKind.TIMEOUT
    ):
        out.append((backend, ref(http.ev, direct_fact(http))))
    for view in connects_failing(ctx, kinds):
        if view.endpoint != backend or tcp is None:  # else the same connect as backend.tcp's
            out.append((view.endpoint, ref(view.ev, connect_fact(ctx, view))))
    return out


def _address(endpoint: str) -> str:
    """`10.1.2.3:80` → `10.1.2.3`, `[::1]:80` → `::1`."""
    return endpoint.rpartition(":")[0].strip("[]") or endpoint


def _elsewhere_ok(ctx: Context) -> list[EvidenceRef]:
    """The backend answers from another vantage point (its own host, the jump box)."""
    out = []
    for vantage in (Vantage.BACKEND_HOST, Vantage.JUMP):
        view = ctx.http(vantage)
        if view is not None and view.answered:
            out.append(ref(view.ev, direct_fact(view, f"from the {vantage.value}")))
    return out


def firewall(ctx: Context) -> Iterator[Finding]:
    rules = ctx.firewall
    if rules is None or not rules.blocking:
        return
    failures = _connect_failures(ctx, _DEAD)
    timeouts = local_reply_symptoms(ctx, (), _TIMEOUT_COUNTERS)
    if not failures and not timeouts:
        return  # a rule that matches but stops nothing we can see is not this outage
    port = ctx.backend_port
    rule = rules.blocking[0]
    more = f" (+{len(rules.blocking) - 1} more)" if len(rules.blocking) > 1 else ""
    support = [ref(rules.ev, f"rule: {r}") for r in rules.blocking[:3]]
    support += [*(r for _t, r in failures), *timeouts.refs, *_elsewhere_ok(ctx)]
    summary = f"firewall rule `{rule}`{more} blocks port {port} to {ctx.backend_host}"
    if failures:
        summary += f"; connects from the Envoy host {_kind(failures)}"
    yield finding(
        CauseId.NETWORK_FIREWALL,
        confidence(0.75, len(support) - 2),
        summary,
        support,
        [
            "backend.down: a blocked port says nothing about the backend; the rule explains the failure"
        ],
        [steps.firewall(ctx, port), steps.curl_from_envoy(ctx, ctx.health_url, "--max-time", "3")],
    )


def _kind(failures: list[tuple[str, EvidenceRef]]) -> str:
    facts = " ".join(r.fact for _t, r in failures)
    if "refused" in facts and "timeout" not in facts:
        return "are refused"
    return "time out" if "timeout" in facts else "fail (unreachable)"


def unreachable(ctx: Context) -> Iterator[Finding]:
    rules = ctx.firewall
    if rules is not None and rules.blocking:
        return
    failures = _connect_failures(ctx, (ErrorKind.CONNECT_TIMEOUT, ErrorKind.NO_ROUTE))
    if not failures:
        return
    support = [r for _t, r in failures]
    timeouts = local_reply_symptoms(ctx, _TIMEOUT_FLAGS, _TIMEOUT_COUNTERS)
    support += [*timeouts.refs, *_elsewhere_ok(ctx)]
    unconfirmed = 0
    ruled = ["backend.down: the connection times out rather than being refused"]
    if rules is None:
        unconfirmed += 1
    elif not rules.readable:
        unconfirmed += 1
        ruled.append(
            f"network.firewall: not ruled out, the rules could not be read ({rules.why_unreadable})"
        )
    else:
        ruled.append(f"network.firewall: no iptables/nft rule blocks port {ctx.backend_port}")
    targets = list(dict.fromkeys(t for t, _r in failures))
    verb = "is" if len(targets) == 1 else "are"
    summary = (
        f"{', '.join(targets)} {verb} unreachable from the Envoy host: connect {_kind(failures)}"
    )
    if timeouts.refs:
        summary += " (Envoy: upstream_cx_connect_timeout)"
    # other hosts of the cluster still connect: Envoy sends traffic there (degraded, not down)
    serving = [v.endpoint for v in ctx.endpoint_tcp if v.ok and v.endpoint not in targets]
    if serving:
        summary += f"; traffic continues on {', '.join(serving)}"
    yield finding(
        CauseId.NETWORK_UNREACHABLE,
        confidence(0.6, len(support) - 1, unconfirmed),
        summary,
        support,
        ruled,
        [
            ctx.on_envoy_host(f"ip route get {shlex.quote(_address(targets[0]))}"),
            steps.firewall(ctx, ctx.backend_port),
            steps.curl_from_envoy(ctx, ctx.health_url, "--max-time", "3"),
        ],
        severity=Verdict.DEGRADED if serving else None,
    )


def connect_timeout_short(ctx: Context) -> Iterator[Finding]:
    """Envoy's connects time out while a plain connect from the Envoy host succeeds, slower than
    the cluster's connect_timeout: the timeout is too short for this path, nothing is down."""
    config, tcp = ctx.cluster_config, ctx.tcp()
    if config is None or tcp is None or not tcp.ok or tcp.ev.latency_ms is None:
        return
    limit_ms = config.connect_timeout * 1000.0
    if tcp.ev.latency_ms <= limit_ms:
        return
    symptoms = local_reply_symptoms(ctx, (), _TIMEOUT_COUNTERS)
    view = direct(ctx)
    timed_out = list(symptoms.refs)
    if not timed_out:
        return
    backend = ctx.backend_endpoint
    support = [
        ref(
            tcp.ev,
            f"connect {backend} from the Envoy host: connected in {tcp.ev.latency_ms:.0f} ms",
        ),
        *timed_out,
    ]
    if view is not None and view.answered:
        support.append(ref(view.ev, direct_fact(view)))
    yield finding(
        CauseId.CONFIG_CONNECT_TIMEOUT,
        confidence(0.7, len(support) - 1),
        f"cluster {ctx.cluster}'s connect_timeout ({config.connect_timeout:g} s) is shorter than "
        f"the connect to {backend} takes ({tcp.ev.latency_ms:.0f} ms from the Envoy host): "
        "Envoy gives up (upstream_cx_connect_timeout) on a backend that is up",
        support,
        ["network.unreachable: a plain connect from the Envoy host succeeds, only slowly"],
        [
            ctx.on_envoy_host(f"nc -zv -w 5 {shlex.quote(ctx.backend_host)} {ctx.backend_port}"),
            steps.config_grep(ctx, "connect_timeout"),
            steps.cluster_stats(ctx, "upstream_cx_connect_timeout", "upstream_cx_connect_ms"),
        ],
    )
