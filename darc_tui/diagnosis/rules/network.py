"""The path from the Envoy host to the backend: packets dropped (timeout) or rejected by a rule."""

from __future__ import annotations

from collections.abc import Iterator

from darc_tui.diagnosis import steps
from darc_tui.diagnosis.catalog import finding
from darc_tui.diagnosis.context import Context
from darc_tui.diagnosis.rank import confidence
from darc_tui.diagnosis.rules.common import (
    direct,
    direct_fact,
    local_reply_symptoms,
    ref,
)
from darc_tui.model import EvidenceRef, Finding, Vantage

_TIMEOUT_FLAGS = ("UF",)
_TIMEOUT_COUNTERS = ("upstream_cx_connect_timeout",)


_WORDS = {"connect_timeout": "connect timeout", "refused": "connection refused"}


def _connect_failures(ctx: Context, kinds: tuple[str, ...]) -> list[EvidenceRef]:
    """Connect attempts from the Envoy host to the backend URL that failed with one of `kinds`.

    An HTTP request's overall deadline ("timeout") does not say whether it ever connected, so
    only a plain TCP connect or an explicit connect error counts here."""
    out: list[EvidenceRef] = []
    tcp, http = ctx.tcp(), direct(ctx)
    if tcp is not None and not tcp.ok and tcp.error in kinds:
        target = f"{ctx.backend_host}:{ctx.backend_port}"
        word = _WORDS.get(tcp.error, tcp.error)
        out.append(ref(tcp.ev, f"connect {target} from the Envoy host: {word}"))
    if http is not None and http.status is None and http.error in kinds and http.error != "timeout":
        out.append(ref(http.ev, direct_fact(http)))
    return out


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
    failures = _connect_failures(ctx, ("connect_timeout", "refused", "unreachable"))
    timeouts = local_reply_symptoms(ctx, (), _TIMEOUT_COUNTERS)
    if not failures and not timeouts:
        return  # a rule that matches but stops nothing we can see is not this outage
    port = ctx.backend_port
    rule = rules.blocking[0]
    more = f" (+{len(rules.blocking) - 1} more)" if len(rules.blocking) > 1 else ""
    support = [ref(rules.ev, f"rule: {r}") for r in rules.blocking[:3]]
    support += [*failures, *timeouts.refs, *_elsewhere_ok(ctx)]
    summary = f"firewall rule `{rule}`{more} blocks port {port} to {ctx.backend_host}"
    if failures:
        summary += f"; connects from the Envoy host {_kind(failures)}"
    yield finding(
        "network.firewall",
        confidence(0.75, len(support) - 2),
        summary,
        support,
        [
            "backend.down: a blocked port says nothing about the backend; the rule explains the failure"
        ],
        [steps.firewall(ctx, port), steps.curl_from_envoy(ctx, ctx.health_url, "--max-time", "3")],
    )


def _kind(failures: list[EvidenceRef]) -> str:
    facts = " ".join(r.fact for r in failures)
    if "refused" in facts and "timeout" not in facts:
        return "are refused"
    return "time out" if "timeout" in facts else "fail (unreachable)"


def unreachable(ctx: Context) -> Iterator[Finding]:
    rules = ctx.firewall
    if rules is not None and rules.blocking:
        return
    failures = _connect_failures(ctx, ("connect_timeout", "unreachable"))
    if not failures:
        return
    support = [*failures]
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
    target = f"{ctx.backend_host}:{ctx.backend_port}"
    summary = f"{target} is unreachable from the Envoy host: connect {_kind(failures)}"
    if timeouts.refs:
        summary += " (Envoy: upstream_cx_connect_timeout)"
    yield finding(
        "network.unreachable",
        confidence(0.6, len(support) - 1, unconfirmed),
        summary,
        support,
        ruled,
        [
            ctx.on_envoy_host(f"ip route get {ctx.backend_host}"),
            steps.firewall(ctx, ctx.backend_port),
            steps.curl_from_envoy(ctx, ctx.health_url, "--max-time", "3"),
        ],
    )
