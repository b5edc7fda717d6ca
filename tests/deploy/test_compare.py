"""Before/after windows around a deploy marker, from the evidence history."""

from __future__ import annotations

from darc_tui.config import DeployConfig
from darc_tui.deploy.compare import compare, deploys
from darc_tui.ids import ProbeId
from darc_tui.model import DeployKind, DeployMarker, Evidence, Status, Vantage
from darc_tui.state import State

WINDOWS = DeployConfig(before=60.0, settle=5.0, max_5xx_rate=0.01)


def through(at: float, code: int | None, ms: float = 10.0, flag: str = "") -> Evidence:
    status = Status.OK if code and code < 500 else Status.FAIL
    return Evidence(ProbeId.ENVOY_LISTENER, "http://127.0.0.1:8080/h (through-envoy)",
                    Vantage.THROUGH_ENVOY, status, f"→ {code}", observed_at=at, latency_ms=ms,
                    facts={"status": code, "flag": flag})  # fmt: skip


def clusters(at: float, healthy: int) -> Evidence:
    return Evidence(ProbeId.ENVOY_CLUSTERS, "backend_cluster", Vantage.ENVOY_HOST, Status.OK, "",
                    observed_at=at, facts={"found": True, "hosts": 1, "healthy": healthy,
                                           "flags": "" if healthy else "failed_active_hc"})  # fmt: skip


def state_with(*evidence: Evidence) -> State:
    s = State(clock=lambda: 2000.0)
    for ev in evidence:
        s.add(ev)
    return s


RESTART = DeployMarker(1000.0, "edge", DeployKind.ENVOY_RESTARTED, "pid 1 → 2", began=998.0)


def test_a_deploy_that_breaks_every_request_names_5xx_flags_and_health() -> None:
    before = [through(950.0 + i, 200) for i in range(40)] + [clusters(990.0, 1)]
    after = [through(1010.0 + i, 503, flag="UF") for i in range(20)] + [clusters(1029.0, 0)]
    c = compare(state_with(*before, *after), (RESTART,), WINDOWS, now=1030.0)
    assert c.regressed
    assert c.worse == (
        "5xx 0.0% → 100.0%",
        "new response flags UF×20",
        "healthy hosts 1/1 → 0/1 (failed_active_hc)",
    )
    assert (c.before.probe_samples, c.after.probe_samples) == (40, 20)


def test_the_restart_gap_and_the_settle_time_count_neither_before_nor_after() -> None:
    good = [through(950.0 + i, 200) for i in range(48)]  # up to 997
    gap = [through(998.5, None), through(999.5, None)]  # Envoy down while it restarts
    starting = [through(1001.0 + i, 503, flag="UH") for i in range(3)]  # first health checks
    settled = [through(1006.0 + i, 200) for i in range(20)]
    c = compare(state_with(*good, *gap, *starting, *settled), (RESTART,), WINDOWS, now=1030.0)
    assert not c.regressed, c.worse
    assert c.before.rate_5xx == 0.0 and c.after.rate_5xx == 0.0


def test_a_slower_site_after_the_deploy_is_a_latency_regression() -> None:
    before = [through(950.0 + i, 200, ms=10.0) for i in range(40)]
    after = [through(1010.0 + i, 200, ms=900.0) for i in range(20)]
    c = compare(state_with(*before, *after), (RESTART,), WINDOWS, now=1030.0)
    assert c.worse == ("latency p95 10 → 900 ms",)


def test_a_5xx_rate_under_the_limit_holds() -> None:
    before = [through(950.0 + i * 0.25, 200) for i in range(190)]
    after = [through(1010.0 + i * 0.1, 200) for i in range(199)] + [through(1030.0, 503)]
    c = compare(state_with(*before, *after), (RESTART,), WINDOWS, now=1031.0)
    assert c.after.rate_5xx == 0.005 and not c.regressed


def test_markers_close_together_are_one_deploy() -> None:
    file_change = DeployMarker(1004.0, "edge", DeployKind.CONFIG_CHANGED, "endpoints", began=995.0)
    later = DeployMarker(1200.0, "app", DeployKind.BACKEND_VERSION, "1 → 2", began=1190.0)
    assert deploys([later, file_change, RESTART]) == [(RESTART, file_change), (later,)]
