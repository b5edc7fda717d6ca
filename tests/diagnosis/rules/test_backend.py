"""The backend: down (whole or one host of two), 5xx of its own, keep-alive race; no hosts."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose, verdict
from darc_tui.model import Evidence, Vantage, Verdict
from tests.diagnosis import builders as b

THROUGH = "http://127.0.0.1:8080/api/health"


def test_one_of_two_hosts_refusing_is_a_degraded_backend_down_naming_it() -> None:
    report = b.report_of(
        "backend_cluster", ("127.0.0.1", 18443, b.HEALTHY), ("127.0.0.1", 18444, b.FAILED_HC)
    )
    hc = "cluster.backend_cluster.health_check."
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            b.tcp("127.0.0.1", 18443),
            b.http(Vantage.ENVOY_HOST, "http://127.0.0.1:18443/api/health", 200),
            b.http(Vantage.THROUGH_ENVOY, THROUGH, 200, local_reply=False),
            *b.stats_window(
                {hc + "network_failure": 3, hc + "failure": 3},
                {hc + "network_failure": 7, hc + "failure": 7},
            ),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["backend.down", "healthcheck.failing"]
    assert found[1].explained_by == ("backend.down",)
    assert "127.0.0.1:18444" in found[0].summary and "1/2 hosts" in found[0].summary
    assert "traffic continues on 127.0.0.1:18443" in found[0].summary
    assert verdict(found) is Verdict.DEGRADED


def test_one_host_of_two_refusing_a_plain_connect_is_proven_per_host() -> None:
    """No health-check failure and no counter moved (the recorded healthy outlier_cluster): the
    per-host connects alone prove which host is down."""
    report = b.recorded_clusters("healthy")
    up, down = (h.port for h in report.get("outlier_cluster").hosts)  # type: ignore[union-attr]
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            *b.endpoint_tcp(
                "outlier_cluster", ("127.0.0.1", up, ""), ("127.0.0.1", down, "refused")
            ),
        ),
        b.config(cluster="outlier_cluster", backend_url=f"http://127.0.0.1:{up}"),
    )
    assert [f.cause for f in found] == ["backend.down"]
    top = found[0]
    assert top.summary.startswith(
        f"1/2 hosts of outlier_cluster refuse connections from the Envoy host: 127.0.0.1:{down}"
    )
    assert f"traffic continues on 127.0.0.1:{up}" in top.summary
    assert top.evidence[0].probe == "endpoint.tcp" and "connection refused" in top.evidence[0].fact
    assert any(step.startswith(f"nc -zv -w 2 127.0.0.1 {down}") for step in top.next_steps)
    assert top.severity is Verdict.DEGRADED


def test_per_host_connects_that_succeed_overrule_the_health_checks_network_failures() -> None:
    """health_check.network_failure rising while every host accepts a plain connect is not a host
    that is down (an HTTP-level failure, e.g. a reset): healthcheck.failing says it instead."""
    report = b.report_of(
        "backend_cluster", ("127.0.0.1", 18443, b.HEALTHY), ("127.0.0.1", 18444, b.FAILED_HC)
    )
    hc = "cluster.backend_cluster.health_check."
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            *b.endpoint_tcp("backend_cluster", ("127.0.0.1", 18443, ""), ("127.0.0.1", 18444, "")),
            *b.stats_window({hc + "network_failure": 3}, {hc + "network_failure": 7}),
        ),
        b.config(),
    )
    assert "backend.down" not in [f.cause for f in found]
    assert "healthcheck.failing" in [f.cause for f in found]


def test_backend_5xx_passed_through_is_backend_errors() -> None:
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(b.report_of("backend_cluster", ("127.0.0.1", 18443, b.HEALTHY))),
            b.http(Vantage.THROUGH_ENVOY, THROUGH, 500, local_reply=False, body="boom"),
            b.access({(200, "-"): 10, (500, "-"): 12}),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["backend.errors"]
    assert "500" in found[0].summary and "flag '-'" in found[0].summary
    assert any("12 × 500" in e.fact for e in found[0].evidence)


def test_envoys_own_503_is_not_backend_errors() -> None:
    found = diagnose(
        b.state(
            b.http(Vantage.THROUGH_ENVOY, THROUGH, 503, local_reply=True, flag="UF", body=b.UF_BODY)
        ),
        b.config(),
    )
    assert "backend.errors" not in [f.cause for f in found]


def test_refused_ejection_is_said_in_backend_errors() -> None:
    od = "cluster.backend_cluster.outlier_detection.ejections_overflow"
    found = diagnose(
        b.state(
            b.http(Vantage.THROUGH_ENVOY, THROUGH, 500, local_reply=False),
            *b.stats_window({od: 0}, {od: 4}),
        ),
        b.config(),
    )
    assert found[0].cause == "backend.errors"
    assert any("max_ejection_percent" in line for line in found[0].ruled_out)


def test_scattered_uc_with_remote_closes_is_the_keepalive_race() -> None:
    name = "cluster.backend_cluster.upstream_cx_destroy_remote_with_active_rq"
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(b.report_of("backend_cluster", ("127.0.0.1", 18443, b.HEALTHY))),
            b.access({(200, "-"): 197, (503, "UC"): 3}),
            *b.stats_window({name: 10}, {name: 13}),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["backend.keepalive_race"]
    assert "3 of 200" in found[0].summary and "3600 s" in found[0].summary
    assert any(f"{name} +3" in e.fact for e in found[0].evidence)


def test_uc_on_most_requests_is_not_a_race() -> None:
    found = diagnose(b.state(b.access({(200, "-"): 5, (503, "UC"): 20})), b.config())
    assert "backend.keepalive_race" not in [f.cause for f in found]


def test_recorded_empty_cluster_is_no_hosts_and_explains_the_rest() -> None:
    report = b.recorded_clusters("backend_down")
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            b.running(b.recorded_running()),
            *b.stats_window(b.recorded_counters("healthy"), b.recorded_counters("backend_down")),
            b.http(
                Vantage.THROUGH_ENVOY,
                "http://127.0.0.1:8080/empty/x",
                503,
                local_reply=True,
                flag="UH",
                body="no healthy upstream",
            ),
        ),
        b.config(cluster="empty_cluster"),
    )
    assert [f.cause for f in found] == ["cluster.no_hosts"]
    assert "empty_cluster has no hosts" in found[0].summary
    assert "empty load_assignment" in found[0].summary
    assert any("upstream_cx_none_healthy +2" in e.fact for e in found[0].evidence)


def test_a_dns_cluster_without_hosts_says_dns_gave_none() -> None:
    summary = b.with_cluster(b.recorded_running(), "outlier_cluster")
    found = diagnose(
        b.state(b.ready(), b.clusters(b.report_of("outlier_cluster")), b.running(summary)),
        b.config(cluster="outlier_cluster"),
    )
    assert found[0].cause == "cluster.no_hosts"
    assert "STRICT_DNS" in found[0].summary and "resolved to nothing" in found[0].summary
    assert any(s.startswith("getent hosts") for s in found[0].next_steps)


def test_the_health_endpoints_own_500_is_the_failing_check_not_backend_errors() -> None:
    report = b.report_of("backend_cluster", ("127.0.0.1", 18443, b.FAILED_HC))
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            b.running(b.recorded_running()),
            b.http(Vantage.ENVOY_HOST, "http://127.0.0.1:18443/api/health", 500),
            b.http(Vantage.THROUGH_ENVOY, THROUGH, 500, local_reply=False),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["healthcheck.failing", "envoy.panic_mode"]


PROBE_TRAFFIC = "envoy-1.40-probe-traffic.log"


def failing_health_endpoint(access: Evidence) -> list[Evidence]:
    report = b.report_of("backend_cluster", ("127.0.0.1", 18443, b.FAILED_HC))
    return [
        b.process(),
        b.ready(),
        b.clusters(report),
        b.running(b.recorded_running()),
        b.http(Vantage.ENVOY_HOST, "http://127.0.0.1:18443/api/health", 503),
        access,
    ]


def test_api_5xx_in_the_access_log_are_backend_errors_even_while_the_check_fails() -> None:
    """The recorded log: the health endpoint answers 503 (the check fails), and the API answers 500
    to users: both are true, and the API errors are named by path."""
    found = diagnose(
        b.state(*failing_health_endpoint(b.recorded_access(PROBE_TRAFFIC))), b.config()
    )
    errors = next(f for f in found if f.cause == "backend.errors")
    assert "on /api/orders ×3, /api/cart ×1" in errors.summary
    assert any("6 × 500/503 with flag '-' on /api/orders ×3" in e.fact for e in errors.evidence)


def test_5xx_only_on_the_failing_health_path_are_the_checks_not_backend_errors() -> None:
    health_only = b.recorded_access(PROBE_TRAFFIC, keep=lambda line: "/api/health" in line)
    counts = health_only.data
    assert counts.by_path_upstream_5xx == {"/api/health": 2}  # the outside monitor's, not ours
    found = diagnose(b.state(*failing_health_endpoint(health_only)), b.config())
    assert "backend.errors" not in [f.cause for f in found]
    assert "healthcheck.failing" in [f.cause for f in found]


def test_refused_with_unreadable_firewall_keeps_a_reject_rule_open() -> None:
    def backend_down(firewall):
        return diagnose(
            b.state(
                b.process(),
                b.ready(),
                b.tcp("127.0.0.1", 18443, ok=False, error="refused"),
                firewall,
            ),
            b.config(),
        )[0]

    checked, blind = backend_down(b.firewall([])), backend_down(b.firewall(readable=False))
    assert checked.cause == blind.cause == "backend.down"
    assert blind.confidence < checked.confidence
    assert any("not ruled out" in line and "needs root" in line for line in blind.ruled_out)
    assert any("no firewall rule stops port 18443" in line for line in checked.ruled_out)


def test_a_dns_cluster_still_initialising_has_no_hosts_yet_and_that_is_fine() -> None:
    found = diagnose(
        b.state(b.ready("PRE_INITIALIZING"), b.clusters(b.report_of("backend_cluster"))), b.config()
    )
    assert found == []
