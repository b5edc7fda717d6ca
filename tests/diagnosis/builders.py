"""Evidence and States for diagnosis tests, shaped like the real probes' output.

Admin payloads come from real Envoy 1.40 outputs recorded in tests/data/envoy-1.40 (parsed with the
project's own parsers); the rest mirror what the probes emit (data payloads and facts).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from darc_tui.config import Config, parse_config
from darc_tui.errors import ErrorKind
from darc_tui.hosts.base import TcpResult
from darc_tui.hosts.http import HttpResult
from darc_tui.hosts.local import LocalHost
from darc_tui.logs.window import AccessWindow, window_evidence
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.parse.access_log import DEFAULT
from darc_tui.parse.clusters import (
    ClustersReport,
    ClusterStatus,
    HealthFlag,
    HostStatus,
    parse_clusters,
)
from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import Endpoint, EnvoySummary
from darc_tui.parse.stats import Stats
from darc_tui.probes._endpoints import ClusterHosts, EndpointProbe
from darc_tui.probes.health_check import HcSettings, HealthCheckRequestProbe
from darc_tui.probes.tcp import EndpointTcpProbe
from darc_tui.state import State

RECORDED = Path(__file__).resolve().parents[1] / "data" / "envoy-1.40"
NOW = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def config(
    *,
    cluster: str = "backend_cluster",
    backend_url: str = "http://127.0.0.1:18443",
    health_path: str = "/api/health",
    admin_url: str = "http://127.0.0.1:9901",
    listener_url: str = "http://127.0.0.1:8080",
    origin: str = "https://www.darc.kr",
    envoy_host: str = "local",
) -> Config:
    hosts = ""
    if envoy_host != "local":
        hosts = f'[hosts.{envoy_host}]\naddress = "{envoy_host}.internal"\nuser = "ops"\n'
    return parse_config(
        f"""
[site]
name = "test"
public_url = "{listener_url}{health_path}"
origin = "{origin}"
{hosts}
[envoy]
host = "{envoy_host}"
admin_url = "{admin_url}"
listener_url = "{listener_url}"
config_path = "/etc/envoy/envoy.yaml"
cluster = "{cluster}"
unit = "envoy"
[backend]
url = "{backend_url}"
health_path = "{health_path}"
"""
    )


def state(*evidence: Evidence, clock: Clock | None = None) -> State:
    s = State(clock or Clock())
    for ev in evidence:
        s.add(ev)
    return s


# The words the probes write in `error`, with the kind the host layer set alongside (tests name a
# failure by its words; the rules read only the kind).
KIND_OF = {
    "": None,
    "connection refused": ErrorKind.REFUSED,
    "refused": ErrorKind.REFUSED,
    "read timeout": ErrorKind.READ_TIMEOUT,
    "connect timeout": ErrorKind.CONNECT_TIMEOUT,
    "timeout": ErrorKind.TIMEOUT,
    "unreachable": ErrorKind.NO_ROUTE,
    "connection reset": ErrorKind.RESET,
}


def kind_of(error: str) -> ErrorKind | None:
    if error.startswith("host down:"):
        return ErrorKind.HOST_DOWN
    return KIND_OF.get(error, ErrorKind.OTHER)


def ev(
    probe: str,
    outcome: Status = Status.OK,
    *,
    vantage: Vantage = Vantage.ENVOY_HOST,
    target: str = "",
    detail: str = "",
    data: Any = None,
    at: float = NOW,
    latency_ms: float | None = None,
    error_kind: ErrorKind | None = None,
    **facts: Any,
) -> Evidence:
    return Evidence(
        probe,
        target or probe,
        vantage,
        outcome,
        detail or f"{probe} {outcome.value}",
        observed_at=at,
        latency_ms=latency_ms,
        facts=facts,
        data=data,
        error_kind=error_kind,
    )


# ---------------------------------------------------------------------------------------------
# recorded real admin outputs


def recorded(state_dir: str, name: str) -> str:
    return (RECORDED / state_dir / name).read_text(encoding="utf-8")


def recorded_clusters(state_dir: str) -> ClustersReport:
    return parse_clusters(recorded(state_dir, "clusters.json"))


def recorded_counters(state_dir: str, name: str = "stats_counters.json") -> dict[str, float]:
    doc = json.loads(recorded(state_dir, name))
    return {s["name"]: float(s.get("value", 0)) for s in doc["stats"] if "value" in s}


def recorded_gauges(state_dir: str) -> dict[str, float]:
    return recorded_counters(state_dir, "stats_gauges.json")


def recorded_running(state_dir: str = "healthy") -> EnvoySummary:
    return parse_config_dump(recorded(state_dir, "config_dump.json"))


def host_port(report: ClustersReport, cluster: str) -> int:
    found = report.get(cluster)
    assert found is not None and found.hosts, cluster
    port = found.hosts[0].port
    assert port is not None
    return port


# ---------------------------------------------------------------------------------------------
# probe-shaped evidence


def clusters(report: ClustersReport, at: float = NOW) -> Evidence:
    return ev("envoy.clusters", data=report, at=at, target="http://127.0.0.1:9901/clusters")


def stats(
    counters: Mapping[str, float], gauges: Mapping[str, float] | None = None, at: float = NOW
) -> Evidence:
    sample = Stats(
        counters={k: int(v) for k, v in counters.items()},
        gauges={k: int(v) for k, v in (gauges or {}).items()},
    )
    return ev("envoy.stats", data=sample, at=at, target="stats")


def stats_window(
    before: Mapping[str, float],
    after: Mapping[str, float],
    gauges: Mapping[str, float] | None = None,
    gap: float = 5.0,
) -> list[Evidence]:
    """Two samples `gap` seconds apart, the second at NOW."""
    return [stats(before, gauges, at=NOW - gap), stats(after, gauges, at=NOW)]


def running(summary: EnvoySummary) -> Evidence:
    return ev("envoy.config_dump", data=summary, target="config_dump")


def on_disk(summary: EnvoySummary) -> Evidence:
    return ev("envoy.config_file", data=summary, target="/etc/envoy/envoy.yaml")


def ready(state_word: str = "LIVE") -> Evidence:
    status = Status.OK if state_word == "LIVE" else Status.WARN
    return ev("envoy.ready", status, target="ready", state=state_word, status_code=200)


def ready_failed(error: str = "refused") -> Evidence:
    kind = kind_of(error)
    detail = f"connect {error}"
    return ev(
        "envoy.ready", Status.FAIL, target="ready", error=error, detail=detail, error_kind=kind
    )


def process(running: bool = True, pid: int = 4242) -> Evidence:
    if running:
        return ev("envoy.process", target="envoy", running=True, pid=pid)
    return ev("envoy.process", Status.FAIL, target="envoy", running=False)


def ports(*listening: int, listener: int = 8080, admin: int = 9901) -> Evidence:
    """ss on the Envoy host: which ports listen, and whether the configured ones are bound."""
    return ev(
        "envoy.ports",
        target="ports",
        listening_ports=list(listening),
        listener_port=listener,
        listener_bound=listener in listening,
        admin_port=admin,
        admin_bound=admin in listening,
    )


def http(
    vantage: Vantage,
    url: str,
    status: int | None = 200,
    *,
    error: str = "",
    local_reply: bool | None = None,
    flag: str = "",
    body: str = "",
    latency_ms: float | None = 3.0,
    overloaded: bool = False,
) -> Evidence:
    ok = status is not None and status < 400
    return ev(
        "backend.health",
        Status.OK if ok else Status.FAIL,
        vantage=vantage,
        target=f"{vantage.value} {url}",  # State keys by (probe, target): one per vantage
        latency_ms=latency_ms,
        url=url,
        status=status,
        error=error,
        error_kind=kind_of(error) if status is None else None,
        local_reply=local_reply,
        flag=flag,
        body=body,
        overloaded=overloaded,
    )


def tcp(host: str, port: int, ok: bool = True, error: str = "") -> Evidence:
    """backend.tcp: `error` is the TcpResult word ("refused", "timeout", "unreachable")."""
    return ev(
        "backend.tcp",
        Status.OK if ok else Status.FAIL,
        target=f"{host}:{port}",
        host=host,
        port=port,
        ok=ok,
        error=error,
        error_kind=None if ok else (kind_of(error) or ErrorKind.OTHER),
    )


def _round(probe: EndpointProbe, hosts: list[Endpoint], found: list[Evidence]) -> list[Evidence]:
    """One round of a per-host probe as the engine stores it: every host, then the cluster's
    summary, all observed at NOW."""
    listing = ClusterHosts(probe.cluster, tuple(hosts), len(hosts))
    found = [*found, probe.summarize(listing, found)]
    return [dataclasses.replace(ev, observed_at=NOW) for ev in found]


def endpoint_tcp(cluster: str, *hosts: tuple[str, int, str]) -> list[Evidence]:
    """endpoint.tcp, judged by EndpointTcpProbe: per host (address, port, "" = connected, else
    the TcpResult error: "refused", "timeout", "unreachable"), then the cluster's summary."""
    probe = EndpointTcpProbe(LocalHost(), "http://127.0.0.1:9901", cluster)
    endpoints = [Endpoint(address, port) for address, port, _error in hosts]
    found = [
        probe.judge(
            endpoint,
            TcpResult(*endpoint, not error, 0.3 if not error else None, error, "socket"),
        )
        for endpoint, (_a, _p, error) in zip(endpoints, hosts, strict=True)
    ]
    return _round(probe, endpoints, found)


def hc_settings(
    path: str = "/api/health",
    host_header: str = "backend_cluster",
    expected: tuple[int, ...] = (200,),
    timeout: float | None = 1.0,
) -> HcSettings:
    return HcSettings(path, host_header, expected, timeout, tls=False)


def hc_answer(
    status: int | None, *, error: str = "", total_ms: float | None = 4.0, location: str = ""
) -> HttpResult:
    """What http_request returns for one health-check request (no answer: status None + error)."""
    headers = (("location", location),) if location else ()
    kind = kind_of(error) if status is None else None
    return HttpResult(
        "", "GET", status, headers, b"", total_ms=total_ms, error=error, error_kind=kind
    )


def hc_requests(
    cluster: str, settings: HcSettings, *answers: tuple[str, int, HttpResult]
) -> list[Evidence]:
    """envoy.hc_request, judged by HealthCheckRequestProbe: per host, then the cluster's summary."""
    probe = HealthCheckRequestProbe(
        LocalHost(), "http://127.0.0.1:9901", cluster, "/etc/envoy/envoy.yaml"
    )
    endpoints = [Endpoint(address, port) for address, port, _result in answers]
    found = [
        probe.judge(endpoint, settings, result)
        for endpoint, (_a, _p, result) in zip(endpoints, answers, strict=True)
    ]
    return _round(probe, endpoints, found)


def firewall(blocking: Iterable[str] = (), readable: bool = True) -> Evidence:
    if not readable:
        return ev(
            "firewall.rules", Status.UNKNOWN, target="18443", detail="needs root to read iptables"
        )
    lines = [f"iptables:{i + 3}: {line}" for i, line in enumerate(blocking)]
    status = Status.FAIL if lines else Status.OK
    return ev("firewall.rules", status, target="18443", blocking=lines, policies=[])


def access(counts: Mapping[tuple[int, str], int]) -> Evidence:
    """envoy.access_log as the real window builds it, from (status, flags) → requests."""
    window = AccessWindow(60.0, clock=lambda: NOW)
    for (status, flags), n in counts.items():
        for _ in range(n):
            window.add({"status": status, "flags": [f for f in flags.split(",") if f != "-"]}, NOW)
    return window_evidence(window.counts(NOW), "access.log", command="tail", observed_at=NOW)


def recorded_access(name: str, keep: Callable[[str], bool] = lambda _line: True) -> Evidence:
    """envoy.access_log over a recorded Envoy 1.40 access log (tests/data/logs), every kept line
    in the window."""
    window = AccessWindow(10**9, clock=lambda: NOW)
    text = (RECORDED.parent / "logs" / name).read_bytes().decode("utf-8", "replace")
    for line in filter(keep, text.splitlines()):
        record = DEFAULT.parse(line)
        window.add({} if record is None else record.to_json(), NOW)
    return window_evidence(window.counts(NOW), "access.log", command="tail", observed_at=NOW)


def validate(ok: bool = True, message: str = "") -> Evidence:
    status = Status.OK if ok else Status.FAIL
    return ev(
        "envoy.validate",
        status,
        target="/etc/envoy/envoy.yaml",
        detail=f"/etc/envoy/envoy.yaml does not validate: {message}" if not ok else "valid",
        valid=ok,
        message=message,
    )


def cors(allowed: bool, origin: str = "https://www.darc.kr", allow_origin: str = "") -> Evidence:
    status = Status.OK if allowed else Status.FAIL
    return ev(
        "cors.preflight",
        status,
        vantage=Vantage.THROUGH_ENVOY,
        target=origin,
        origin=origin,
        allowed=allowed,
        allow_origin=allow_origin,
        status=200,
    )


def with_cluster(summary: EnvoySummary, name: str, **changes: Any) -> EnvoySummary:
    """`summary` with cluster `name` changed (dataclasses.replace on its ClusterSummary)."""
    clusters = tuple(
        dataclasses.replace(c, **changes) if c.name == name else c for c in summary.clusters
    )
    return dataclasses.replace(summary, clusters=clusters)


def report_of(cluster: str, *hosts: tuple[str, int, frozenset[HealthFlag]]) -> ClustersReport:
    """A /clusters report with one cluster and the given (address, port, flags) hosts."""
    statuses = tuple(HostStatus(address, port, flags) for address, port, flags in hosts)
    return ClustersReport((ClusterStatus(cluster, statuses),))


HEALTHY: frozenset[HealthFlag] = frozenset()
FAILED_HC = frozenset({HealthFlag.FAILED_ACTIVE_HC})
HC_TIMEOUT = frozenset({HealthFlag.FAILED_ACTIVE_HC, HealthFlag.ACTIVE_HC_TIMEOUT})
EJECTED = frozenset({HealthFlag.FAILED_OUTLIER_CHECK})
UF_BODY = (
    "upstream connect error or disconnect/reset before headers. reset reason: remote connection "
    "failure"
)
