"""Active health check: failing (and whether panic applies), timing out, misconfigured; panic."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose, verdict
from darc_tui.model import Vantage, Verdict
from tests.diagnosis import builders as b

HEALTH = "http://127.0.0.1:18443/api/health"


def failing_hc(cluster: str, threshold: float | None, direct_status: int = 500) -> list:
    summary = b.recorded_running()
    if threshold is not None:
        summary = b.with_cluster(summary, cluster, panic_threshold=threshold)
    report = b.report_of(cluster, ("127.0.0.1", 18443, b.FAILED_HC))
    return [
        b.process(),
        b.ready(),
        b.clusters(report),
        b.running(summary),
        b.tcp("127.0.0.1", 18443),
        b.http(Vantage.ENVOY_HOST, HEALTH, direct_status),
    ]


def test_failing_check_without_panic_gives_no_healthy_upstream() -> None:
    found = diagnose(
        b.state(
            *failing_hc("backend_cluster", 0.0),
            b.http(
                Vantage.THROUGH_ENVOY,
                "http://127.0.0.1:8080/api/health",
                503,
                local_reply=True,
                flag="UH",
                body="no healthy upstream",
            ),
        ),
        b.config(),
    )
    assert found[0].cause == "healthcheck.failing"
    top = found[0]
    assert "GET /api/health" in top.summary and "500" in top.summary
    assert "panic disabled" in top.summary and "no healthy upstream (UH)" in top.summary
    assert top.severity is Verdict.DOWN
    assert "envoy.panic_mode" not in [f.cause for f in found]


def test_failing_check_under_the_default_threshold_is_panic_not_an_outage() -> None:
    found = diagnose(b.state(*failing_hc("backend_cluster", None)), b.config())
    assert [f.cause for f in found] == ["envoy.panic_mode", "healthcheck.failing"]
    assert "0/1 hosts healthy" in found[0].summary and "50 %" in found[0].summary
    failing = found[1]
    assert "does not cause 503s" in failing.summary
    assert verdict(found) is Verdict.DEGRADED


def test_recorded_hc_timeout_names_the_configured_timeout() -> None:
    report = b.recorded_clusters("hc_timeout_degraded")
    port = b.host_port(report, "backend_cluster")
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            b.running(b.recorded_running()),
            b.tcp("127.0.0.1", port),
            b.http(
                Vantage.ENVOY_HOST, f"http://127.0.0.1:{port}/api/health", 200, latency_ms=2003.0
            ),
        ),
        b.config(backend_url=f"http://127.0.0.1:{port}"),
    )
    causes = [f.cause for f in found]
    assert causes[0] == "healthcheck.timeout", causes
    assert "healthcheck.failing" not in causes
    assert "0.5 s" in found[0].summary and "2003 ms" in found[0].summary
    assert f"127.0.0.1:{port}" in found[0].summary


def test_pre_initializing_envoy_is_not_a_fault() -> None:
    report = b.recorded_clusters("pre_initializing")
    assert any(h.flags for c in report.clusters for h in c.hosts)  # the recording shows the flag
    found = diagnose(
        b.state(b.process(), b.ready("PRE_INITIALIZING"), b.clusters(report)), b.config()
    )
    assert found == []


def test_wrong_hc_path_is_misconfigured_when_the_real_path_answers() -> None:
    summary = b.with_cluster(
        b.recorded_running(),
        "backend_cluster",
        health_checks=(
            b.dataclasses.replace(
                b.recorded_running().cluster("backend_cluster").health_checks[0],
                path="/api/healthz",
            ),
        ),
    )
    found = diagnose(
        b.state(
            *failing_hc("backend_cluster", 0.0, direct_status=200)[:-2],
            b.running(summary),
            b.tcp("127.0.0.1", 18443),
            b.http(Vantage.ENVOY_HOST, HEALTH, 200),
        ),
        b.config(),
    )
    causes = [f.cause for f in found]
    assert causes[0] == "healthcheck.misconfigured", causes
    assert "healthcheck.failing" not in causes
    assert "/api/healthz" in found[0].summary and "/api/health " in found[0].summary
    assert any("Host: backend.local" in s for s in found[0].next_steps)


def test_backend_answering_204_fails_a_check_that_expects_200() -> None:
    hc = b.recorded_running().cluster("backend_cluster").health_checks[0]
    summary = b.with_cluster(
        b.recorded_running(),
        "backend_cluster",
        health_checks=(b.dataclasses.replace(hc, expected_statuses=((200, 201),)),),
    )
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(b.report_of("backend_cluster", ("127.0.0.1", 18443, b.FAILED_HC))),
            b.running(summary),
            b.http(Vantage.ENVOY_HOST, HEALTH, 204),
        ),
        b.config(),
    )
    assert found[0].cause == "healthcheck.misconfigured"
    assert "204" in found[0].summary and "only 200" in found[0].summary


def test_two_of_three_hosts_down_puts_the_cluster_in_panic() -> None:
    report = b.report_of(
        "backend_cluster",
        ("127.0.0.1", 18443, b.HEALTHY),
        ("127.0.0.1", 18444, b.FAILED_HC),
        ("127.0.0.1", 18445, b.FAILED_HC),
    )
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            *b.stats_window(
                {"cluster.backend_cluster.lb_healthy_panic": 0},
                {"cluster.backend_cluster.lb_healthy_panic": 9},
            ),
        ),
        b.config(),
    )
    assert found[0].cause == "envoy.panic_mode"
    assert "1/3 hosts healthy (33 %)" in found[0].summary
    assert any("lb_healthy_panic +9" in e.fact for e in found[0].evidence)


def test_half_the_hosts_healthy_is_not_panic() -> None:
    report = b.report_of(
        "backend_cluster", ("127.0.0.1", 18443, b.HEALTHY), ("127.0.0.1", 18444, b.FAILED_HC)
    )
    found = diagnose(b.state(b.process(), b.ready(), b.clusters(report)), b.config())
    assert "envoy.panic_mode" not in [f.cause for f in found]
    assert verdict(found) is not Verdict.DOWN
