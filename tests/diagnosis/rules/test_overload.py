"""Circuit breakers, a saturated backend host, outlier ejection."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose, verdict
from darc_tui.model import Evidence, Vantage, Verdict
from tests.diagnosis import builders as b


def test_uo_with_pending_overflow_is_overloaded_naming_counter_and_limit() -> None:
    summary = b.with_cluster(b.recorded_running(), "backend_cluster")
    name = "cluster.backend_cluster.upstream_rq_pending_overflow"
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(b.report_of("backend_cluster", ("127.0.0.1", 18443, b.HEALTHY))),
            b.running(summary),
            b.access({(200, "-"): 20, (503, "UO"): 31}),
            *b.stats_window({name: 4}, {name: 35}),
            b.http(
                Vantage.THROUGH_ENVOY,
                "http://127.0.0.1:8080/api/health",
                503,
                local_reply=True,
                flag="UO",
                overloaded=True,
            ),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["backend.overloaded"]
    top = found[0]
    assert "upstream_rq_pending_overflow +31" in top.summary
    assert "max_pending_requests 50" in top.summary  # the recorded config's limit


def test_recorded_outlier_ejection_of_every_host_is_down() -> None:
    report = b.recorded_clusters("backend_down")
    found = diagnose(
        b.state(
            b.ready(),
            b.clusters(report),
            *b.stats_window(b.recorded_counters("healthy"), b.recorded_counters("backend_down")),
        ),
        b.config(cluster="outlier_cluster"),
    )
    assert found[0].cause == "outlier.ejected"
    assert "2/2 hosts" in found[0].summary and "no host left" in found[0].summary
    assert verdict(found) is Verdict.DOWN
    assert any("ejections_enforced_consecutive_5xx +2" in e.fact for e in found[0].evidence)


def test_outlier_ejection_is_listed_under_the_backend_errors_that_caused_it() -> None:
    report = b.report_of(
        "backend_cluster", ("127.0.0.1", 18443, b.HEALTHY), ("127.0.0.1", 18444, b.EJECTED)
    )
    found = diagnose(
        b.state(b.ready(), b.clusters(report), b.access({(200, "-"): 30, (500, "-"): 5})),
        b.config(),
    )
    assert [f.cause for f in found] == ["backend.errors", "outlier.ejected"]
    assert found[1].explained_by == ("backend.errors",)
    assert "127.0.0.1:18444" in found[1].summary


def load(vantage: Vantage, load1: float, cpus: int = 2):
    return b.ev(
        "host.load", vantage=vantage, target=f"host ({vantage.value})", load1=load1, cpus=cpus
    )


def slow(ms: float) -> Evidence:
    return b.http(Vantage.ENVOY_HOST, "http://10.1.2.3:18443/api/health", 200, latency_ms=ms)


def test_a_saturated_host_answering_slowly_without_overflow_is_no_finding() -> None:
    """Overload is named only from Envoy's overflow evidence; load + slow answers is correlation."""
    found = diagnose(
        b.state(load(Vantage.BACKEND_HOST, 9.5), slow(2400.0), slow(1800.0), slow(2100.0)),
        b.config(backend_url="http://10.1.2.3:18443"),
    )
    assert found == []


def test_one_slow_answer_on_a_busy_host_is_not_saturation() -> None:
    found = diagnose(
        b.state(load(Vantage.BACKEND_HOST, 9.5), slow(40.0), slow(35.0), slow(2400.0)),
        b.config(backend_url="http://10.1.2.3:18443"),
    )
    assert found == []


def test_a_busy_envoy_host_says_nothing_about_a_remote_backend() -> None:
    found = diagnose(
        b.state(
            load(Vantage.ENVOY_HOST, 9.5),
            b.http(Vantage.ENVOY_HOST, "http://10.1.2.3:18443/api/health", 200, latency_ms=2400.0),
        ),
        b.config(backend_url="http://10.1.2.3:18443"),
    )
    assert found == []


def test_high_load_with_fast_answers_is_no_finding() -> None:
    found = diagnose(
        b.state(
            load(Vantage.BACKEND_HOST, 9.5),
            b.http(Vantage.ENVOY_HOST, "http://10.1.2.3:18443/api/health", 200),
        ),
        b.config(backend_url="http://10.1.2.3:18443"),
    )
    assert found == []
