"""Recorded-style snapshots for UI tests: a healthy site and one whose backend is down.

Built from the real model and parse types with fixed timestamps, so snapshot images are stable.
Values mirror what the probes report on the lab (Envoy 1.40, backend on 127.0.0.1:18443).
"""

from __future__ import annotations

from dataclasses import replace

from darc_tui.config import BackendConfig, Config, EnvoyConfig, HostConfig, SiteConfig, UiConfig
from darc_tui.model import (
    Evidence,
    EvidenceRef,
    Finding,
    HostState,
    LogRecord,
    Snapshot,
    Status,
    TimelineEvent,
    Vantage,
    Verdict,
)
from darc_tui.parse.clusters import ClustersReport, ClusterStatus, HealthFlag, HostStatus

T0 = 1_764_000_000.0  # fixed "now" for every scenario
BACKEND = "127.0.0.1:18443"
ADMIN = "http://127.0.0.1:9901"


def config(*, redact: bool = True, theme: str = "darc", read_only: bool = False) -> Config:
    return Config(
        site=SiteConfig("darc", "http://127.0.0.1:8080/api/health", "https://www.darc.kr"),
        hosts={"edge": HostConfig("edge", address="127.0.0.1", port=2222)},
        envoy=EnvoyConfig(host="edge", admin_url=ADMIN, cluster="backend_cluster"),
        backend=BackendConfig(host="", url=f"http://{BACKEND}", health_path="/api/health"),
        ui=UiConfig(theme=theme, redact=redact, read_only=read_only),
    )


def clock() -> float:
    return T0


def _ev(probe: str, vantage: Vantage, status: Status, detail: str, *, target: str = BACKEND,
        at: float = T0 - 1, ms: float | None = 4.0, command: str = "",
        facts: dict[str, object] | None = None, **more: object) -> Evidence:  # fmt: skip
    return Evidence(
        probe,
        target,
        vantage,
        status,
        detail,
        command=command or f"# {probe}",
        observed_at=at,
        latency_ms=ms,
        facts={**(facts or {}), **more},
    )


def _clusters(flags: frozenset[HealthFlag], *, rq_error: int, cx_fail: int) -> ClustersReport:
    host = HostStatus(
        "127.0.0.1",
        18443,
        flags=flags,
        weight=1,
        cx_active=0 if flags else 2,
        cx_total=40,
        cx_connect_fail=cx_fail,
        rq_active=0,
        rq_total=1200,
        rq_error=rq_error,
        rq_success=1200 - rq_error,
    )
    return ClustersReport((ClusterStatus("backend_cluster", (host,)),))


def _health(vantage: Vantage, status: Status, at: float, total: float, code: int | None,
            detail: str = "") -> Evidence:  # fmt: skip
    facts: dict[str, object] = {"connect_ms": round(total * 0.2, 1), "ttfb_ms": round(total * 0.8, 1),
                                "total_ms": total}  # fmt: skip
    if code is not None:
        facts["status"] = code
    target = "http://127.0.0.1:8080/api/health" if vantage is Vantage.THROUGH_ENVOY else BACKEND
    return _ev(
        "backend.health",
        vantage,
        status,
        detail or f"{code} in {total:.0f}ms",
        target=target,
        at=at,
        ms=total,
        command=f"curl -sS -o /dev/null {target}",
        facts=facts,
    )


def envoy_evidence(at: float = T0 - 1, panic: int = 0) -> list[Evidence]:
    def ev(probe: str, detail: str, **facts: object) -> Evidence:
        return _ev(probe, Vantage.ENVOY_HOST, Status.OK, detail, target="edge", at=at, **facts)

    return [
        ev(
            "envoy.process",
            "envoy pid 4242 up 3h12m, -c /etc/envoy/envoy.yaml, epoch 0",
            pid=4242,
            uptime_s=11530,
            restart_epoch=0,
        ),
        ev(
            "envoy.server_info",
            "Envoy 1.40.0 LIVE, up 3h12m (epoch 0, all epochs 3h12m)",
            state="LIVE",
            uptime_s=11520,
            restart_epoch=0,
            version="1.40.0",
        ),
        ev("envoy.ready", "LIVE", state="LIVE"),
        ev(
            "envoy.ports",
            "listener 127.0.0.1:8080 bound by envoy; admin 127.0.0.1:9901 bound by envoy",
            listener_port=8080,
            listener_bound=True,
            admin_port=9901,
            admin_bound=True,
        ),
        ev("envoy.config_file", "/etc/envoy/envoy.yaml read (2.1 kB)"),
        ev("envoy.validate", "/etc/envoy/envoy.yaml is valid (/usr/local/bin/envoy)", valid=True),
        ev("envoy.drift", "running config matches /etc/envoy/envoy.yaml"),
        ev(
            "envoy.stats",
            "backend_cluster: counters moved in 10.0s" if panic else "no upstream errors in 10.0s",
            **{"delta.lb_healthy_panic": panic, "window_s": 10.0, "sampled": True},
        ),
        ev("firewall.rules", "no iptables/nft rule matches port 18443"),
    ]


def healthy(at: float = T0 - 1, latency: float = 12.0) -> Snapshot:
    evidence = [
        *envoy_evidence(at),
        _ev(
            "envoy.clusters",
            Vantage.ENVOY_HOST,
            Status.OK,
            "backend_cluster: 1/1 hosts healthy",
            target=ADMIN,
            at=at,
            cluster="backend_cluster",
            found=True,
            hosts=1,
            healthy=1,
        ),
        _health(Vantage.JUMP, Status.OK, at, latency, 200),
        _health(Vantage.ENVOY_HOST, Status.OK, at, latency / 3, 200),
        _health(Vantage.THROUGH_ENVOY, Status.OK, at, latency * 1.5, 200),
        _ev("backend.tcp", Vantage.ENVOY_HOST, Status.OK, f"{BACKEND} accepts connections", at=at),
        _ev(
            "cors.preflight",
            Vantage.THROUGH_ENVOY,
            Status.OK,
            "origin https://www.darc.kr allowed",
            at=at,
        ),
        _ev(
            "host.load",
            Vantage.ENVOY_HOST,
            Status.OK,
            "load 0.12 0.08 0.05 on 2 CPUs",
            target="edge",
            at=at,
        ),
        _ev(
            "envoy.access_log",
            Vantage.ENVOY_HOST,
            Status.OK,
            "120 requests, no 5xx in 60 s",
            target="/var/log/envoy/access.log",
            at=at,
            requests=120,
            **{"5xx": 0, "UF": 0},
        ),
    ]
    evidence[9] = replace(evidence[9], data=_clusters(frozenset(), rq_error=0, cx_fail=0))
    hosts = (HostState("local", "local", True, since=T0 - 600),
             HostState("edge", "ssh", True, since=T0 - 600))  # fmt: skip
    return Snapshot(at, tuple(evidence), (), hosts, Verdict.OK, rounds=42)


BACKEND_DOWN = Finding(
    cause="backend.down",
    title="Backend is down",
    confidence=0.92,
    summary=f"nothing listens on {BACKEND}: TCP connect refused from the Envoy host",
    evidence=(
        EvidenceRef("backend.tcp", BACKEND, Vantage.ENVOY_HOST, T0 - 1, "connect refused"),
        EvidenceRef(
            "envoy.access_log",
            "/var/log/envoy/access.log",
            Vantage.ENVOY_HOST,
            T0 - 1,
            "12 × 503 UF in 60 s",
        ),
        EvidenceRef(
            "envoy.clusters",
            ADMIN,
            Vantage.ENVOY_HOST,
            T0 - 1,
            f"{BACKEND} failed active health check",
        ),
    ),
    ruled_out=(
        "envoy.down: process running, ports bound",
        "network.firewall: no rule matches 18443",
    ),
    next_steps=("ss -tlnp 'sport = :18443'", "systemctl status darc-backend"),
    severity=Verdict.DOWN,
)
PANIC = Finding(
    cause="envoy.panic_mode",
    title="Envoy is in panic mode",
    confidence=0.6,
    summary="0 of 1 hosts healthy (< 50 %): Envoy routes to every host anyway",
    evidence=(EvidenceRef("envoy.clusters", ADMIN, Vantage.ENVOY_HOST, T0 - 1, "panic: true"),),
    next_steps=(f"curl -s {ADMIN}/stats | grep lb_healthy_panic",),
    severity=Verdict.DEGRADED,
)


def faulted(at: float = T0 - 1, latency: float = 2.3) -> Snapshot:
    fail = Status.FAIL
    evidence = [
        *envoy_evidence(at, panic=12),
        _ev(
            "envoy.clusters",
            Vantage.ENVOY_HOST,
            Status.FAIL,
            "backend_cluster: 0/1 hosts healthy; failed active health check",
            target=ADMIN,
            at=at,
            cluster="backend_cluster",
            found=True,
            hosts=1,
            healthy=0,
        ),
        _health(Vantage.JUMP, fail, at, latency / 4, None, "connect refused"),
        _health(Vantage.ENVOY_HOST, fail, at, latency / 6, None, "connect refused from edge"),
        _health(
            Vantage.THROUGH_ENVOY,
            fail,
            at,
            latency,
            503,
            "503 upstream connect error or disconnect/reset before headers (UF)",
        ),
        _ev("backend.tcp", Vantage.ENVOY_HOST, fail, f"{BACKEND} connect refused", at=at),
        _ev(
            "cors.preflight",
            Vantage.THROUGH_ENVOY,
            Status.OK,
            "origin https://www.darc.kr allowed",
            at=at,
        ),
        _ev(
            "host.load",
            Vantage.BACKEND_HOST,
            Status.ERROR,
            "host app unreachable: ssh: Connection refused",
            target="app",
            at=at,
            ms=None,
        ),
        _ev(
            "envoy.access_log",
            Vantage.ENVOY_HOST,
            fail,
            "12 of 12 requests answered 503 UF",
            target="/var/log/envoy/access.log",
            at=at,
            requests=12,
            **{"5xx": 12, "UF": 12},
        ),
    ]
    evidence[9] = replace(
        evidence[9],
        data=_clusters(frozenset({HealthFlag.FAILED_ACTIVE_HC}), rq_error=12, cx_fail=12),
    )
    hosts = (
        HostState("local", "local", True, since=T0 - 600),
        HostState("edge", "ssh", True, since=T0 - 600),
        HostState("app", "ssh", False, "retry in 4s: Connection refused", since=T0 - 30),
    )
    timeline = (
        TimelineEvent(T0 - 40, "probe", f"backend.tcp {BACKEND}: ok → fail: connect refused"),
        TimelineEvent(T0 - 38, "finding", "cause backend.down: nothing listens on the backend"),
        TimelineEvent(T0 - 30, "host", "host app down: retry in 4s: Connection refused"),
    )
    return Snapshot(at, tuple(evidence), (BACKEND_DOWN, PANIC), hosts, Verdict.DOWN, timeline, 57)


def access_line(i: int, status: int, flags: str, at: float = T0 - 2) -> LogRecord:
    line = (
        f'[2025-11-24T16:00:{i % 60:02d}.000Z] "GET /api/health HTTP/1.1" {status} {flags} '
        f'0 91 1 - "-" "curl/8.5" "req-{i:04d}" "www.darc.kr" "{BACKEND}"'
    )
    return LogRecord("access", line, at, {"status": status, "flags": flags}, size=len(line))


def log_records() -> list[LogRecord]:
    access = [access_line(i, 200, "-") for i in range(6)]
    access += [access_line(i, 503, "UF") for i in range(6, 12)]
    error = [LogRecord("error", "[2025-11-24 16:00:07.001][12][debug][pool] "
                       f"[source/common/conn_pool/conn_pool_base.cc:755] {BACKEND} connect refused",
                       T0 - 2, {"level": "debug"})]  # fmt: skip
    journal = [LogRecord("journal", "envoy[4242]: caught SIGHUP, eating it", T0 - 2,
                         {"priority": 6})]  # fmt: skip
    return [*access, *error, *journal]


def history(kind: str, rounds: int = 12) -> list[Snapshot]:
    """`rounds` snapshots one second apart ending at T0 - 1, latencies varying (for sparklines)."""
    make = healthy if kind == "healthy" else faulted
    return [make(T0 - rounds + i, 6.0 + (i * 7) % 11) for i in range(rounds)]


def with_hosts(snapshot: Snapshot, *hosts: HostStatus) -> Snapshot:
    """`snapshot` with the clusters evidence listing exactly `hosts`."""
    report = ClustersReport((ClusterStatus("backend_cluster", hosts),))
    evidence = tuple(replace(ev, data=report) if ev.probe == "envoy.clusters" else ev
                     for ev in snapshot.evidence)  # fmt: skip
    return replace(snapshot, evidence=evidence)


def host(port: int, *flags: HealthFlag, rq_total: int = 100) -> HostStatus:
    return HostStatus("127.0.0.1", port, flags=frozenset(flags), rq_total=rq_total)
