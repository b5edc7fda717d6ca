"""Views of the host-side and HTTP probes: backend health, TCP connect, ready, process, ports, firewall,
access-log window, CORS. Tolerant: anything missing reads as "unknown", never as healthy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from darc_tui.diagnosis.views import as_bool, as_float, as_int, as_str, known, pick, seq
from darc_tui.errors import CONNECT_TIMEOUTS as ERROR_CONNECT_TIMEOUTS
from darc_tui.errors import ErrorKind
from darc_tui.model import Evidence, Status


def failure(ev: Evidence) -> ErrorKind | None:
    """The kind of failure the probe met, as the probe recorded it where the error happened."""
    return ev.error_kind


CONNECT_TIMEOUTS = ERROR_CONNECT_TIMEOUTS


# ---------------------------------------------------------------------------------------------
# backend.health (HTTP GET from a vantage point)


@dataclass(frozen=True, slots=True)
class HttpView:
    ev: Evidence
    url: str
    status: int | None  # None = no HTTP response at all
    error: ErrorKind | None  # None when an answer arrived
    error_text: str  # the probe's own words, e.g. "connection refused", "read timeout"
    local_reply: bool | None  # True = Envoy's own reply; None = cannot tell
    flag: str  # Envoy RESPONSE_FLAGS inferred from a local reply ("UF", "UH", "NR", ...)
    reset_reason: str  # e.g. "remote connection failure", "connection timeout", "overflow"
    body: str
    latency_ms: float | None
    overloaded: bool  # x-envoy-overloaded: true
    # a plain HTTP/1.1 request was reset, then the backend answered "tls" or "h2c" ("" = not asked)
    speaks: str = ""
    transport_failure: str = ""  # the TLS detail Envoy appends to a reset reason

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def from_upstream(self) -> bool:
        """The response came from the backend, not from Envoy itself."""
        return self.status is not None and self.local_reply is False


def http_view(ev: Evidence | None) -> HttpView | None:
    if ev is None or ev.status is Status.UNKNOWN:
        return None
    status = as_int(pick(ev, "status", "status_code"))
    error = as_str(pick(ev, "error"))
    if status is None and not error:
        return None  # the probe could not run at all (no host, no permission)
    body = as_str(pick(ev, "body"))
    reset = as_str(pick(ev, "reset_reason"))
    if not reset and "reset reason:" in body:
        reset = body.split("reset reason:", 1)[1].strip().split(",")[0].strip()
    return HttpView(
        ev=ev,
        url=as_str(pick(ev, "url", default=ev.target)),
        status=status,
        error=(failure(ev) or ErrorKind.OTHER) if status is None else None,
        error_text=error if status is None else "",
        local_reply=as_bool(pick(ev, "local_reply")),
        flag=as_str(pick(ev, "flag")),
        reset_reason=reset,
        body=body,
        latency_ms=ev.latency_ms,
        overloaded=as_bool(pick(ev, "overloaded")) is True,
        speaks=as_str(pick(ev, "speaks")),
        transport_failure=as_str(pick(ev, "transport_failure")),
    )


# ---------------------------------------------------------------------------------------------
# backend.tcp (nc -zv from the Envoy host)


@dataclass(frozen=True, slots=True)
class TcpView:
    ev: Evidence
    host: str
    port: int | None
    ok: bool
    error: ErrorKind | None  # None when connected

    @property
    def endpoint(self) -> str:
        """`address:port` as the probe names its target (`[v6]:port` for IPv6)."""
        return self.ev.target


def tcp_view(ev: Evidence | None) -> TcpView | None:
    if ev is None or ev.status is Status.UNKNOWN:
        return None
    ok = as_bool(pick(ev, "ok", "connected"))
    error = as_str(pick(ev, "error"))
    if ok is None:
        if ev.status is Status.OK:
            ok = True
        elif error:
            ok = False
        else:
            return None  # could not run; says nothing about the backend
    host = as_str(pick(ev, "host"))
    port = as_int(pick(ev, "port"))
    if not host and ":" in ev.target:
        host, _, p = ev.target.rpartition(":")
        port = port or as_int(p)
    kind = failure(ev) or ErrorKind.OTHER
    # A plain TCP connect that times out never got a SYN-ACK: a connect timeout, not a slow reply.
    kind = ErrorKind.CONNECT_TIMEOUT if kind is ErrorKind.TIMEOUT else kind
    return TcpView(ev, host, port, ok, None if ok else kind)


# ---------------------------------------------------------------------------------------------
# envoy.ready, envoy.process, envoy.ports


@dataclass(frozen=True, slots=True)
class ReadyView:
    ev: Evidence
    reachable: bool
    state: str  # LIVE | PRE_INITIALIZING | DRAINING | INITIALIZING | "" when unreachable
    error: ErrorKind | None  # why it is unreachable; None when reachable


def ready_view(ev: Evidence | None) -> ReadyView | None:
    if ev is None or ev.status is Status.UNKNOWN:
        return None
    state = as_str(pick(ev, "state", "server_state")).strip().upper()
    reachable = as_bool(pick(ev, "reachable"))
    if reachable is None:
        reachable = bool(state) or as_int(pick(ev, "status_code", "status")) is not None
    kind = (failure(ev) or ErrorKind.OTHER) if not reachable else None
    return ReadyView(ev, reachable, state, kind)


@dataclass(frozen=True, slots=True)
class ProcessView:
    ev: Evidence
    running: bool  # an Envoy runs with the configured config file
    pid: int | None
    others: int = 0  # Envoys running other config files (another site, a test): not ours


def process_view(ev: Evidence | None) -> ProcessView | None:
    if not known(ev) or ev is None:
        return None
    running = as_bool(pick(ev, "running"))
    if running is None:
        running = ev.status is not Status.FAIL
    if running and as_bool(pick(ev, "config_matches")) is False:
        # An Envoy runs, but not with our envoy.yaml: it is not the Envoy this site depends on.
        return ProcessView(ev, False, None, as_int(pick(ev, "count")) or 1)
    return ProcessView(ev, running, as_int(pick(ev, "pid")))


@dataclass(frozen=True, slots=True)
class PortsView:
    ev: Evidence
    listening: frozenset[int]  # every listening TCP port on the Envoy host
    listener_bound: bool | None  # the configured listener address:port (None = not checked)
    admin_bound: bool | None


def ports_view(ev: Evidence | None) -> PortsView | None:
    if not known(ev) or ev is None:
        return None
    ports = frozenset(n for p in seq(pick(ev, "listening_ports")) if (n := as_int(p)) is not None)
    return PortsView(
        ev, ports, as_bool(pick(ev, "listener_bound")), as_bool(pick(ev, "admin_bound"))
    )


# ---------------------------------------------------------------------------------------------
# firewall.rules


@dataclass(frozen=True, slots=True)
class FirewallView:
    evs: tuple[Evidence, ...]  # every host's firewall.rules evidence that read something
    readable: bool  # False = no host's rules could be read (needs root, no tool)
    blocking: tuple[str, ...] = ()  # "iptables:3: -A INPUT … -j DROP" lines stopping the port
    policies: tuple[str, ...] = ()  # default-drop chains with no rule accepting the port
    why_unreadable: str = ""

    @property
    def ev(self) -> Evidence:
        return self.evs[0]


def firewall_view(evs: list[Evidence]) -> FirewallView | None:
    """All hosts' firewall reads together: a rule on either end stops the traffic."""
    if not evs:
        return None
    read = [ev for ev in evs if known(ev)]
    if not read:
        return FirewallView(tuple(evs), False, why_unreadable="; ".join(ev.detail for ev in evs))
    blocking = [as_str(r) for ev in read for r in seq(pick(ev, "blocking")) if as_str(r)]
    policies = [as_str(p) for ev in read for p in seq(pick(ev, "policies")) if as_str(p)]
    unread = "; ".join(ev.detail for ev in evs if not known(ev))
    return FirewallView(tuple(read), True, tuple(blocking), tuple(policies), unread)


# ---------------------------------------------------------------------------------------------
# envoy.access_log: status x flag counts over the recent window


@dataclass(frozen=True, slots=True)
class AccessView:
    ev: Evidence
    total: int  # requests in the window, darc-tui's own probe requests not included
    counts: Mapping[tuple[int, str], int] = field(default_factory=dict)
    by_path_5xx: Mapping[str, int] = field(default_factory=dict)  # top paths, every 5xx
    by_path_upstream_5xx: Mapping[str, int] = field(default_factory=dict)  # the backend's own
    probe_requests: int = 0

    def flagged(self, flag: str) -> int:
        return sum(n for (_s, f), n in self.counts.items() if flag in f.split(","))

    def status(self, code: int) -> int:
        return sum(n for (s, _f), n in self.counts.items() if s == code)

    def upstream_5xx(self) -> int:
        """5xx the backend itself answered (no Envoy flag)."""
        return sum(n for (s, f), n in self.counts.items() if 500 <= s < 600 and f in ("-", ""))

    def example(self, flag: str) -> int | None:
        found = [s for (s, f), _n in self.counts.items() if flag in f.split(",")]
        return found[0] if found else None


def access_view(ev: Evidence | None) -> AccessView | None:
    """The access log's recent window (darc_tui.logs.window.WindowCounts, read by its fields:
    importing darc_tui.logs here would be circular); None without requests."""
    if not known(ev) or ev is None:
        return None
    by_status_flag = getattr(ev.data, "by_status_flag", None)
    total = as_int(getattr(ev.data, "total", None))
    if not isinstance(by_status_flag, Mapping) or not total:
        return None  # no traffic is not evidence of health
    counts: dict[tuple[int, str], int] = {}
    for key, n in by_status_flag.items():
        status, flag = _count_key(key)  # "503 UF", "200 -", "503 UF,URX"
        if status is not None and (num := as_int(n)):
            counts[(status, flag)] = counts.get((status, flag), 0) + num
    return AccessView(
        ev,
        total,
        counts,
        _path_counts(getattr(ev.data, "by_path_5xx", None)),
        _path_counts(getattr(ev.data, "by_path_upstream_5xx", None)),
        as_int(getattr(ev.data, "probe_requests", None)) or 0,
    )


def _path_counts(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {as_str(p): n for p, v in value.items() if (n := as_int(v))}


def _count_key(key: Any) -> tuple[int | None, str]:
    if isinstance(key, tuple) and len(key) == 2:
        return as_int(key[0]), as_str(key[1]) or "-"
    text = as_str(key)
    for sep in (" ", "|", ":", "/"):
        if sep in text:
            a, _, b = text.partition(sep)
            return as_int(a), b or "-"
    return as_int(text), "-"


# ---------------------------------------------------------------------------------------------
# cors.preflight


@dataclass(frozen=True, slots=True)
class CorsView:
    ev: Evidence
    allowed: bool
    origin: str
    status: int | None
    allow_origin: str
    local_reply: bool | None = None  # True: Envoy's own reply, not the backend's CORS answer


def cors_view(ev: Evidence | None) -> CorsView | None:
    if not known(ev) or ev is None:
        return None
    allow = as_str(pick(ev, "allow_origin", "access_control_allow_origin"))
    allowed = as_bool(pick(ev, "allowed"))
    if allowed is None:
        allowed = ev.status is Status.OK
    return CorsView(
        ev,
        allowed,
        as_str(pick(ev, "origin")),
        as_int(pick(ev, "status", "status_code")),
        allow,
        as_bool(pick(ev, "local_reply")),
    )


def load_average(ev: Evidence | None) -> tuple[float | None, int | None]:
    """(1-minute load, cpu count) from host.load."""
    if not known(ev) or ev is None:
        return None, None
    return as_float(pick(ev, "load1")), as_int(pick(ev, "cpus"))
