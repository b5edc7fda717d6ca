"""Evidence shared by several rules: traffic symptoms, host health, panic state, counter moves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from darc_tui.diagnosis import probe_views as pv
from darc_tui.diagnosis.context import COUNTER_WINDOW, Context
from darc_tui.diagnosis.probe_views import HttpView, TcpView
from darc_tui.diagnosis.views import HostView
from darc_tui.errors import WORDS, ErrorKind
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, EvidenceRef, Finding, Vantage

Rule = Callable[[Context], Iterable[Finding]]


def ref(ev: Evidence, fact: str | None = None) -> EvidenceRef:
    return EvidenceRef.of(ev, fact)


def throughs(ctx: Context) -> list[HttpView]:
    """Requests through Envoy: its listener from the Envoy host (nothing in between) first, then
    the public URL from the jump box (which may cross a load balancer or CDN first)."""
    views = (
        pv.http_view(ctx.latest(ProbeId.ENVOY_LISTENER, Vantage.THROUGH_ENVOY)),
        ctx.http(Vantage.THROUGH_ENVOY),
    )
    return [v for v in views if v is not None]


def through(ctx: Context) -> HttpView | None:
    """The request through Envoy that shows a problem, if any does; else the first one."""
    views = throughs(ctx)
    failing = [v for v in views if v.status is None or v.status >= 400]
    chosen = failing or views
    return chosen[0] if chosen else None


def direct(ctx: Context) -> HttpView | None:
    """The backend's health URL, fetched from the Envoy host (the runbook's "curl from Envoy")."""
    return ctx.http(Vantage.ENVOY_HOST)


def counter(ctx: Context, suffix: str) -> tuple[float, EvidenceRef] | None:
    """How much a cluster counter rose in the window, with the evidence citing it (None = no rise)."""
    value = ctx.stats.cdelta(suffix)
    if not value or value <= 0 or ctx.stats.ev is None:
        return None
    name = f"cluster.{ctx.stat_name}.{suffix}"
    return value, ref(ctx.stats.ev, f"{name} +{value:g} in {window(ctx)}")


def window(ctx: Context) -> str:
    ev, first = ctx.stats.ev, ctx.stats.first
    if ev is not None and first is not None:
        return f"{max(1.0, ev.observed_at - first.observed_at):.0f} s"
    return f"{COUNTER_WINDOW:.0f} s"


def flagged(ctx: Context, flag: str) -> tuple[int, EvidenceRef] | None:
    """Requests with an Envoy RESPONSE_FLAG in the recent access-log window."""
    access = ctx.access
    if access is None:
        return None
    n = access.flagged(flag)
    if n <= 0:
        return None
    status = access.example(flag)
    return n, ref(access.ev, f"{n} × {status} {flag} of {access.total} requests in the access log")


def through_fact(view: HttpView) -> str:
    if view.status is None:
        return f"GET {view.url} through Envoy: {view.error_text or view.error or 'no response'}"
    parts = [f"GET {view.url} through Envoy → {view.status}"]
    if view.flag:
        parts.append(view.flag)
    if view.reset_reason:
        parts.append(f"reset reason: {view.reset_reason}")
    elif view.body and view.local_reply:
        parts.append(repr(view.body[:80]))
    return " ".join(parts)


def direct_fact(view: HttpView, where: str = "from the Envoy host") -> str:
    if view.status is None:
        return f"GET {view.url} {where}: {view.error_text or view.error or 'no response'}"
    ms = f" in {view.latency_ms:.0f} ms" if view.latency_ms is not None else ""
    return f"GET {view.url} {where} → {view.status}{ms}"


def connect_fact(ctx: Context, view: TcpView) -> str:
    """One host's TCP connect from the Envoy host (endpoint.tcp), as a finding cites it."""
    word = "connected" if view.ok else WORDS[view.error or ErrorKind.OTHER]
    return f"connect {view.endpoint} ({ctx.cluster} host) from the Envoy host: {word}"


def connects_failing(ctx: Context, kinds: Iterable[ErrorKind]) -> list[TcpView]:
    """Hosts of the cluster a plain TCP connect from the Envoy host failed to, with `kinds`."""
    wanted = tuple(kinds)
    return [v for v in ctx.endpoint_tcp if not v.ok and v.error in wanted]


@dataclass(frozen=True, slots=True)
class Symptoms:
    """How the fault shows in traffic: what the public path and the counters say."""

    refs: tuple[EvidenceRef, ...]
    text: str  # e.g. "Envoy answers 503 UF (remote connection failure)"

    def __bool__(self) -> bool:
        return bool(self.refs)


def local_reply_symptoms(ctx: Context, flags: Iterable[str], counters: Iterable[str]) -> Symptoms:
    """Envoy's own error replies with one of `flags`, and rises of `counters`."""
    refs: list[EvidenceRef] = []
    words: list[str] = []
    flags = tuple(flags)
    view = through(ctx)
    if _local_error(view, flags):
        assert view is not None
        refs.append(ref(view.ev, through_fact(view)))
        reason = f" ({view.reset_reason})" if view.reset_reason else ""
        words.append(f"{view.status} {view.flag}".strip() + reason)
    for flag in flags:
        found = flagged(ctx, flag)
        if found:
            refs.append(found[1])
            if not any(flag in w for w in words):
                words.append(f"{ctx.access.example(flag) if ctx.access else ''} {flag}".strip())
    for name in counters:
        moved = counter(ctx, name)
        if moved:
            refs.append(moved[1])
    text = f"Envoy answers {', '.join(words)}" if words else ""
    return Symptoms(tuple(refs), text)


def _local_error(view: HttpView | None, flags: tuple[str, ...]) -> bool:
    """Envoy's own 5xx with one of `flags` (or with no flag known but a local reply)."""
    if view is None or view.status is None or view.status < 500:
        return False
    return view.flag in flags or (not view.flag and view.local_reply is True)


def local_socket(ctx: Context, port: int) -> tuple[bool, EvidenceRef] | None:
    """Whether something listens on `port` on the Envoy host (ss), when the backend runs there:
    the listening sockets tell "nothing there" (down) from "listening elsewhere" (wrong port)."""
    ports = ctx.ports
    if ports is None or not ports.listening or not ctx.backend_is_local_to_envoy:
        return None
    listening = port in ports.listening
    word = "listens" if listening else "nothing listens"
    return listening, ref(ports.ev, f"{word} on port {port} on the Envoy host (ss)")


# ---------------------------------------------------------------------------------------------
# host health and panic


def hc_failing(ctx: Context) -> tuple[HostView, ...]:
    """Hosts the active health check marks down (not while Envoy is still initialising)."""
    clusters = ctx.clusters
    if clusters is None or ctx.initializing:
        return ()
    return tuple(h for h in clusters.hosts if h.flags & {"failed_active_hc", "active_hc_timeout"})


def hosts_text(hosts: Iterable[HostView]) -> str:
    return ", ".join(f"{h.endpoint} /{'/'.join(sorted(h.failing))}" for h in hosts)


@dataclass(frozen=True, slots=True)
class Panic:
    healthy: int
    total: int
    threshold: float  # percent; 0 = panic disabled
    in_panic: bool
    assumed_default: bool  # the running config could not be read: Envoy's default 50 % assumed

    @property
    def percent(self) -> float:
        return 100.0 * self.healthy / self.total if self.total else 0.0

    def describe(self) -> str:
        ratio = f"{self.healthy}/{self.total} hosts healthy ({self.percent:.0f} %)"
        default = " (Envoy's default)" if self.assumed_default else ""
        if self.threshold <= 0:
            return f"{ratio}, panic disabled (healthy_panic_threshold 0 %)"
        relation = "<" if self.in_panic else "≥"
        return f"{ratio} {relation} healthy_panic_threshold {self.threshold:g} %{default}"


def panic(ctx: Context) -> Panic | None:
    clusters = ctx.clusters
    if clusters is None or not clusters.hosts or ctx.initializing:
        return None
    config = ctx.cluster_config
    threshold = config.panic_threshold if config is not None else 50.0
    total = len(clusters.hosts)
    healthy = sum(1 for h in clusters.hosts if h.healthy)
    in_panic = threshold > 0 and 100.0 * healthy / total < threshold
    return Panic(healthy, total, threshold, in_panic, config is None)
