import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.stats import (
    CLUSTER_COUNTERS,
    CLUSTER_GAUGES,
    StatKind,
    Stats,
    cluster_filter,
    delta,
    parse_stats,
)
from tests.parse.envoy_data import json_values, recorded


def sample(state: str, counters: str = "stats_counters.json") -> Stats:
    c = parse_stats(recorded(state, counters), StatKind.COUNTER)
    g = parse_stats(recorded(state, "stats_gauges.json"), StatKind.GAUGE)
    assert c.error == g.error == ""
    return c.merged(g)


def test_typed_queries_split_counters_from_gauges():
    stats = sample("healthy")
    assert stats.counters["cluster.backend_cluster.upstream_rq_total"] == 3
    assert "cluster.backend_cluster.upstream_rq_total" not in stats.gauges
    assert stats.gauges["cluster.backend_cluster.membership_healthy"] == 1
    assert "cluster.backend_cluster.membership_healthy" not in stats.counters


def test_cluster_view_uses_short_names():
    backend = sample("backend_down").cluster("backend_cluster")
    assert backend.found
    assert backend.get("upstream_cx_connect_fail") == 3
    assert backend.get("lb_healthy_panic") == 3  # panic: 1 host, 0 healthy, default threshold
    assert backend.get("membership_healthy") == 0
    assert backend.get("no_such_stat") is None
    assert not sample("healthy").cluster("no_such_cluster").found


def test_no_healthy_upstream_counts_none_healthy_when_panic_is_off():
    stats = sample("backend_down")
    assert stats.cluster("nopanic_cluster").get("upstream_cx_none_healthy") == 3
    assert stats.cluster("nopanic_cluster").get("lb_healthy_panic") == 0
    assert stats.cluster("empty_cluster").get("membership_total") == 0


def test_every_watched_stat_name_exists_in_real_envoy():
    stats = sample("backend_down")
    for name in CLUSTER_COUNTERS:
        found = [stats.cluster(c).counters.get(name) for c in ("backend_cluster", "tls_h2_cluster")]
        assert any(v is not None for v in found), name
    for name in CLUSTER_GAUGES:
        assert stats.cluster("backend_cluster").gauges.get(name) is not None, name


def test_delta_over_a_window_counts_only_the_new_failures():
    before, after = sample("backend_down"), sample("backend_down", "stats_counters_after.json")
    moved = delta(before, after)
    assert not moved.restarted
    assert moved.get("cluster.backend_cluster.upstream_cx_connect_fail") == 5
    assert moved.get("cluster.backend_cluster.lb_healthy_panic") == 5
    assert moved.get("cluster.nopanic_cluster.upstream_cx_none_healthy") == 0
    assert "cluster.nopanic_cluster.upstream_cx_none_healthy" not in moved.moved()
    assert moved.get("cluster.backend_cluster.membership_healthy") is None  # a gauge: no delta


def test_counter_created_between_samples_counts_from_zero():
    # Envoy creates upstream_rq_503 with the first 503
    before = Stats(counters={"a": 1})
    after = Stats(counters={"a": 1, "cluster.c.upstream_rq_503": 4})
    assert delta(before, after).get("cluster.c.upstream_rq_503") == 4


def test_counter_going_down_means_restart_and_no_values():
    before, after = sample("backend_down"), sample("healthy")
    moved = delta(before, after)
    assert moved.restarted
    assert "cluster.backend_cluster.upstream_cx_connect_fail" in moved.went_down
    assert moved.get("cluster.backend_cluster.upstream_rq_total") is None
    assert moved.moved() == {}


def test_first_sample_or_a_failed_sample_gives_no_delta():
    good = sample("healthy")
    for older in (Stats(), Stats(error="not JSON")):
        assert delta(older, good).get("cluster.backend_cluster.upstream_rq_total") is None


def test_untyped_query_keeps_values_and_text_readouts():
    stats = parse_stats(recorded("healthy", "stats.json"))
    assert stats.error == ""
    assert stats.counters == {} and stats.gauges == {}
    assert stats.value("cluster.backend_cluster.upstream_rq_total") == 3
    assert stats.text_readouts["cluster_manager.cds.version_text"] == ""


def test_cluster_filter_matches_only_that_cluster_and_the_extra_prefixes():
    pattern = re.compile(cluster_filter("backend.cluster", "http."))
    assert pattern.match("cluster.backend.cluster.upstream_rq_total")
    assert pattern.match("http.ingress_http.no_route")
    assert not pattern.match("cluster.backendXcluster.upstream_rq_total")
    assert not pattern.match("cluster.backend.cluster2.upstream_rq_total")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"Invalid re2 regex: missing ): (((", "not JSON"),
        (b"<!doctype html><title>oops</title>", "HTML"),
        (b'{"stats":[{"name":"a","value":1},{"na', "not JSON"),
        (b'{"configs": []}', "no stats list"),
        (b"", "empty"),
    ],
)
def test_garbage_gives_an_error_line(body, needle):
    stats = parse_stats(body, StatKind.COUNTER)
    assert needle in stats.error and stats.counters == {}


@settings(max_examples=200, deadline=None)
@given(json_values(), st.sampled_from(list(StatKind)))
def test_any_json_never_raises(doc, kind):
    for wrapped in (doc, {"stats": doc}, {"stats": [doc, {"name": "x", "value": doc}]}):
        stats = parse_stats(json.dumps(wrapped), kind)
        assert all(isinstance(v, int) for v in stats.counters.values())
