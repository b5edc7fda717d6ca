"""diagnose(): a healthy system has no finding; recorded real faults name their cause."""

from __future__ import annotations

from darc_tui.diagnosis import CATALOG, diagnose, verdict
from darc_tui.model import Vantage, Verdict
from tests.diagnosis import builders as b


def healthy_evidence(port: int) -> list:
    report = b.recorded_clusters("healthy")
    counters = b.recorded_counters("healthy")
    url = f"http://127.0.0.1:{port}/api/health"
    return [
        b.process(),
        b.ready(),
        b.ports(8080, 9901),
        b.clusters(report),
        *b.stats_window(counters, counters),
        b.running(b.recorded_running()),
        b.on_disk(b.recorded_running()),
        b.validate(),
        b.http(Vantage.ENVOY_HOST, url),
        b.http(Vantage.JUMP, url),
        b.http(Vantage.THROUGH_ENVOY, "http://127.0.0.1:8080/api/health", local_reply=False),
        b.tcp("127.0.0.1", port),
        b.firewall(),
        b.access({(200, "-"): 40}),
        b.cors(True, allow_origin="https://www.darc.kr"),
    ]


def test_empty_state_has_no_finding() -> None:
    assert diagnose(b.state(), b.config()) == []


def test_healthy_recorded_system_has_no_finding() -> None:
    port = b.host_port(b.recorded_clusters("healthy"), "backend_cluster")
    cfg = b.config(backend_url=f"http://127.0.0.1:{port}")
    found = diagnose(b.state(*healthy_evidence(port)), cfg)
    assert found == [], [f.summary for f in found]
    assert verdict(found) is Verdict.OK


DESIGN_IDS = {
    "envoy.down", "envoy.listener_missing", "envoy.admin_unreachable", "backend.down",
    "network.unreachable", "network.firewall", "healthcheck.failing", "healthcheck.timeout",
    "healthcheck.misconfigured", "config.invalid", "config.endpoint_mismatch",
    "config.tls_mismatch", "config.protocol_mismatch", "config.no_route", "config.drift",
    "backend.overloaded", "outlier.ejected", "backend.errors", "backend.keepalive_race",
    "cluster.no_hosts", "envoy.panic_mode", "cors.origin_not_allowed", "deploy.regression",
}  # fmt: skip
# issue 10: a listener darc-tui cannot get through, route timeouts and exhausted retries
FIELD_IDS = {
    "envoy.listener_unreachable", "probe.vantage_blocked", "route.upstream_timeout",
    "route.retries_exhausted", "config.connect_timeout", "config.upstream_sni",
    "config.update_rejected",
}  # fmt: skip
FLEET_IDS = {
    "fleet.envoy_down", "fleet.cluster_unhealthy", "fleet.errors", "fleet.overflow",
    "fleet.config_skew",
}  # fmt: skip


def test_every_finding_uses_a_catalog_id() -> None:
    # DESIGN.md's 22 causes and deploy.regression, plus host.unreachable (an SSH host darc-tui cannot use), plus the
    # fleet's causes (darc_tui.fleet, from Prometheus)
    assert set(CATALOG) == DESIGN_IDS | FIELD_IDS | FLEET_IDS | {"host.unreachable"}
    assert all(cause.count(".") == 1 for cause in CATALOG)


def test_recorded_backend_down_names_the_port_and_the_refusal() -> None:
    report = b.recorded_clusters("backend_down")
    port = b.host_port(report, "backend_cluster")
    cfg = b.config(backend_url=f"http://127.0.0.1:{port}")
    s = b.state(
        b.process(),
        b.ready(),
        b.clusters(report),
        *b.stats_window(b.recorded_counters("healthy"), b.recorded_counters("backend_down")),
        b.running(b.recorded_running()),
        b.tcp("127.0.0.1", port, ok=False, error="refused"),
        b.http(
            Vantage.ENVOY_HOST,
            f"http://127.0.0.1:{port}/api/health",
            None,
            error="connection refused",
        ),
        b.http(
            Vantage.THROUGH_ENVOY,
            "http://127.0.0.1:8080/api/health",
            503,
            local_reply=True,
            flag="UF",
            body="upstream connect error or disconnect/reset before headers. reset reason: remote connection failure",
        ),
        b.firewall(),
    )
    found = diagnose(s, cfg)
    assert found, "no finding"
    top = found[0]
    assert top.cause == "backend.down", [f.cause for f in found]
    assert f"127.0.0.1:{port}" in top.summary
    assert "refused" in top.summary
    assert any("upstream_cx_connect_fail" in e.fact for e in top.evidence)
    assert top.next_steps and any(str(port) in step for step in top.next_steps)
    assert verdict(found) is Verdict.DOWN
    # the failing check is listed, but only under backend.down, never as a rival root
    assert all(f.explained_by for f in found if f.cause == "healthcheck.failing")
