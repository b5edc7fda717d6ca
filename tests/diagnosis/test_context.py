"""The rules' view of State: counters by their change in a recent window, stale evidence ignored."""

from __future__ import annotations

from darc_tui.diagnosis.context import COUNTER_WINDOW, STALE_AFTER, Context
from tests.diagnosis import builders as b

FAIL = "cluster.backend_cluster.upstream_cx_connect_fail"


def test_a_single_stats_sample_has_no_delta() -> None:
    ctx = Context(b.state(b.stats({FAIL: 40})), b.config())
    assert ctx.stats.cdelta("upstream_cx_connect_fail") is None


def test_old_lifetime_totals_are_not_evidence() -> None:
    ctx = Context(b.state(*b.stats_window({FAIL: 40}, {FAIL: 40})), b.config())
    assert ctx.stats.cdelta("upstream_cx_connect_fail") == 0


def test_only_samples_inside_the_window_count() -> None:
    clock = b.Clock()
    s = b.state(
        b.stats({FAIL: 0}, at=b.NOW - COUNTER_WINDOW - 60),
        b.stats({FAIL: 50}, at=b.NOW - 5),
        b.stats({FAIL: 52}, at=b.NOW),
        clock=clock,
    )
    assert Context(s, b.config()).stats.cdelta("upstream_cx_connect_fail") == 2


def test_a_counter_that_went_down_means_a_restart_and_counts_from_zero() -> None:
    ctx = Context(b.state(*b.stats_window({FAIL: 90}, {FAIL: 4})), b.config())
    assert ctx.stats.cdelta("upstream_cx_connect_fail") == 4


def test_stale_evidence_is_ignored() -> None:
    s = b.state(b.process(running=False))
    s.clock.now = b.NOW + STALE_AFTER + 1  # type: ignore[attr-defined]
    assert Context(s, b.config()).process is None


def test_other_typed_data_reads_as_unknown() -> None:
    ctx = Context(
        b.state(
            b.ev("envoy.clusters", data="not a report"),
            b.ev("envoy.config_dump", data={"clusters": 1}),
            b.ev("envoy.stats", data=42),
        ),
        b.config(),
    )
    assert ctx.clusters is None and ctx.running is None and not ctx.stats.sampled
