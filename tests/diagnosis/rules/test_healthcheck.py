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
    # the check is the cause; panic is what Envoy does because of it, listed under it
    assert [f.cause for f in found] == ["healthcheck.failing", "envoy.panic_mode"]
    assert found[1].explained_by == ("healthcheck.failing",)
    assert "0/1 hosts healthy" in found[1].summary and "50 %" in found[1].summary
    failing = found[0]
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


# -- the health check's own request, asked from the Envoy host (envoy.hc_request) ---------------


def recorded_hc(**changes: object) -> tuple[object, list]:
    """The recorded running config (backend_cluster checks /api/health with Host backend.local,
    expected 200-204), its check changed by `changes`; one host failing it."""
    running = b.recorded_running()
    hc = b.dataclasses.replace(running.cluster("backend_cluster").health_checks[0], **changes)
    summary = b.with_cluster(running, "backend_cluster", health_checks=(hc,))
    report = b.report_of("backend_cluster", ("127.0.0.1", 18443, b.FAILED_HC))
    return hc, [b.process(), b.ready(), b.clusters(report), b.running(summary)]


def asked(hc: object, answer: object) -> list:
    settings = b.hc_settings(hc.path, hc.host, hc.expected_codes(), hc.timeout)  # type: ignore[attr-defined]
    return b.hc_requests("backend_cluster", settings, ("127.0.0.1", 18443, answer))


def test_the_checks_own_404_names_the_path_host_header_and_status() -> None:
    hc, base = recorded_hc(path="/wrong/health")
    found = diagnose(
        b.state(*base, b.http(Vantage.ENVOY_HOST, HEALTH, 200), *asked(hc, b.hc_answer(404))),
        b.config(),
    )
    top = found[0]
    assert top.cause == "healthcheck.misconfigured"
    assert top.summary.startswith(
        "health check GET /wrong/health (Host: backend.local) gets 404 from 127.0.0.1:18443, "
        "the check accepts only 200-204; the backend's health path is /api/health "
        "(200 from the Envoy host)"
    )
    assert any(e.probe == "envoy.hc_request" for e in top.evidence)
    assert (
        top.next_steps[0].startswith("curl -s -o /dev/null")
        and "Host: backend.local" in (top.next_steps[0])
    )


def test_the_same_path_failing_only_with_the_checks_host_header_is_the_host() -> None:
    hc, base = recorded_hc(host="backend_cluster", host_set=False)
    found = diagnose(
        b.state(*base, b.http(Vantage.ENVOY_HOST, HEALTH, 200), *asked(hc, b.hc_answer(404))),
        b.config(),
    )
    assert found[0].cause == "healthcheck.misconfigured"
    assert "GET /api/health (Host: backend_cluster) gets 404" in found[0].summary
    assert "Host: 127.0.0.1:18443 answers 200" in found[0].summary
    assert "set `host` in the health check" in found[0].summary


def test_a_redirect_is_named_with_where_it_points() -> None:
    hc, base = recorded_hc(path="/health")
    answer = b.hc_answer(301, location="http://127.0.0.1:18443/health/")
    found = diagnose(
        b.state(*base, b.http(Vantage.ENVOY_HOST, HEALTH, 200), *asked(hc, answer)), b.config()
    )
    assert found[0].cause == "healthcheck.misconfigured"
    assert "gets 301 (redirect to http://127.0.0.1:18443/health/)" in found[0].summary


def test_a_check_asked_exactly_that_passes_is_not_misconfigured() -> None:
    """envoy.yaml's check passes when asked by hand: whatever makes Envoy fail it, it is not the
    path, Host or expected statuses (the inference from the config alone would have said so)."""
    hc, base = recorded_hc(path="/api/healthz")
    found = diagnose(
        b.state(*base, b.http(Vantage.ENVOY_HOST, HEALTH, 200), *asked(hc, b.hc_answer(200))),
        b.config(),
    )
    assert "healthcheck.misconfigured" not in [f.cause for f in found]


def test_the_checks_own_request_timing_out_is_healthcheck_timeout() -> None:
    hc, base = recorded_hc(timeout=0.5)
    found = diagnose(
        b.state(
            *base,
            b.http(Vantage.ENVOY_HOST, HEALTH, 200, latency_ms=40.0),  # the URL itself is fine
            *asked(hc, b.hc_answer(None, error="read timeout", total_ms=None)),
        ),
        b.config(),
    )
    timeout = next(f for f in found if f.cause == "healthcheck.timeout")
    assert "the check's own request got no answer (read timeout)" in timeout.summary
    assert "0.5 s" in timeout.summary


def test_failing_cites_what_the_check_gets_asked_by_hand() -> None:
    hc, base = recorded_hc()
    found = diagnose(
        b.state(*base, b.http(Vantage.ENVOY_HOST, HEALTH, 500), *asked(hc, b.hc_answer(500))),
        b.config(),
    )
    failing = next(f for f in found if f.cause == "healthcheck.failing")
    assert "asked the same way from the Envoy host, 127.0.0.1:18443 answers 500" in failing.summary
    assert any(
        e.probe == "envoy.hc_request" and "GET /api/health (Host: backend.local)" in e.fact
        for e in failing.evidence
    )


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
    panic = next(f for f in found if f.cause == "envoy.panic_mode")
    assert panic.explained_by == ("healthcheck.failing",)  # the failing check put it in panic
    assert "1/3 hosts healthy (33 %)" in panic.summary
    assert any("lb_healthy_panic +9" in e.fact for e in panic.evidence)


def test_half_the_hosts_healthy_is_not_panic() -> None:
    report = b.report_of(
        "backend_cluster", ("127.0.0.1", 18443, b.HEALTHY), ("127.0.0.1", 18444, b.FAILED_HC)
    )
    found = diagnose(b.state(b.process(), b.ready(), b.clusters(report)), b.config())
    assert "envoy.panic_mode" not in [f.cause for f in found]
    assert verdict(found) is not Verdict.DOWN
