"""Views of the per-host probes, which check every host Envoy's cluster has from the Envoy host:
a TCP connect (`endpoint.tcp`) and the configured health check asked by hand (`envoy.hc_request`).

Each round a probe reports one Evidence per host (target `address:port`) and one for the cluster
(target: its name) listing the hosts it checked; only those hosts are current, so a host that left
the cluster is not read from its last, stale evidence."""

from __future__ import annotations

from dataclasses import dataclass

from darc_tui.diagnosis.probe_views import TcpView, failure, tcp_view
from darc_tui.diagnosis.views import as_bool, as_float, as_int, as_str, known, pick, seq
from darc_tui.errors import ErrorKind
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence
from darc_tui.parse.envoy_summary import statuses_text

ENDPOINT_TCP = ProbeId.ENDPOINT_TCP
HC_REQUEST = ProbeId.ENVOY_HC_REQUEST


def current(evs: list[Evidence], cluster: str) -> list[Evidence]:
    """The per-host evidence of the hosts the newest round checked (newest first in `evs`)."""
    summary = next((ev for ev in evs if ev.target == cluster), None)
    if summary is None:
        return []
    listed = {as_str(e) for e in seq(summary.facts.get("endpoints"))}
    return [ev for ev in evs if ev.target in listed]


def endpoint_tcp_views(evs: list[Evidence], cluster: str) -> tuple[TcpView, ...]:
    return tuple(v for ev in current(evs, cluster) if (v := tcp_view(ev)) is not None)


@dataclass(frozen=True, slots=True)
class HcRequestView:
    """What one host answered to the health check's own request (path, Host header)."""

    ev: Evidence
    endpoint: str
    path: str
    host_header: str
    expected: tuple[int, ...]
    status: int | None  # None = no HTTP answer
    error: ErrorKind | None  # None when an answer arrived
    error_text: str
    latency_ms: float | None
    hc_timeout: float | None  # the check's own timeout, seconds
    passed: bool
    slow: bool  # slower than the check's timeout, or no answer in time
    location: str = ""  # where a redirect points

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def request(self) -> str:
        return f"GET {self.path} (Host: {self.host_header})"

    def fact(self) -> str:
        """The observation in one line, as a finding cites it."""
        where = f"{self.request} to {self.endpoint} from the Envoy host"
        if self.status is None:
            return f"{where}: {self.error_text or 'no response'}"
        ms = f" in {self.latency_ms:.0f} ms" if self.latency_ms is not None else ""
        to = f" (redirect to {self.location})" if self.location else ""
        accepted = statuses_text(self.expected)
        verdict = "passes" if self.passed and not self.slow else f"fails (accepts {accepted})"
        if self.passed and self.slow and self.hc_timeout is not None:
            verdict = f"fails (slower than its {self.hc_timeout:g} s timeout)"
        return f"{where} → {self.status}{ms}{to}: Envoy's check {verdict}"


def hc_request_view(ev: Evidence | None) -> HcRequestView | None:
    if not known(ev) or ev is None:
        return None
    path = as_str(pick(ev, "path"))
    if not path:
        return None  # the cluster's summary, or another shape
    status = as_int(pick(ev, "status"))
    error = as_str(pick(ev, "error")) if status is None else ""
    expected = tuple(n for e in seq(pick(ev, "expected")) if (n := as_int(e)) is not None)
    return HcRequestView(
        ev=ev,
        endpoint=ev.target,
        path=path,
        host_header=as_str(pick(ev, "host_header")),
        expected=expected or (200,),
        status=status,
        error=(failure(ev) or ErrorKind.OTHER) if status is None else None,
        error_text=error,
        latency_ms=ev.latency_ms,
        hc_timeout=as_float(pick(ev, "hc_timeout_s")),
        passed=as_bool(pick(ev, "passed")) is True,
        slow=as_bool(pick(ev, "slow")) is True,
        location=as_str(pick(ev, "location")),
    )


def hc_request_views(evs: list[Evidence], cluster: str) -> tuple[HcRequestView, ...]:
    return tuple(v for ev in current(evs, cluster) if (v := hc_request_view(ev)) is not None)
