import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.clusters import (
    HealthFlag,
    parse_clusters,
    parse_clusters_json,
    parse_clusters_text,
)
from tests.parse.envoy_data import STATES, json_values, recorded, recorded_port


def clusters(state: str, fmt: str = "json"):
    report = parse_clusters(recorded(state, f"clusters.{fmt}"))
    assert report.error == ""
    return report


def test_healthy_backend_has_one_host_without_flags_and_its_request_counters():
    backend = clusters("healthy").get("backend_cluster")
    assert backend is not None
    (host,) = backend.hosts
    assert host.healthy and host.flags == frozenset()
    assert (host.address, host.port) == ("127.0.0.1", recorded_port("healthy", "backend_cluster"))
    assert host.endpoint == f"127.0.0.1:{host.port}"
    assert (host.rq_success, host.rq_total, host.rq_error) == (3, 3, 0)
    assert host.flag_words() == "healthy"


def test_stopped_backend_shows_failed_active_hc_and_connect_failures():
    report = clusters("backend_down")
    (host,) = report.get("backend_cluster").hosts
    assert host.flags == {HealthFlag.FAILED_ACTIVE_HC}
    assert not host.healthy
    assert host.cx_connect_fail == 3
    assert host.flag_words() == "failed active health check"
    assert report.get("backend_cluster").healthy_hosts == ()


def test_slow_backend_shows_hc_timeout_and_degraded_header_shows_degraded():
    report = clusters("hc_timeout_degraded")
    (slow,) = report.get("backend_cluster").hosts
    assert slow.flags == {HealthFlag.FAILED_ACTIVE_HC, HealthFlag.ACTIVE_HC_TIMEOUT}
    assert slow.flag_words() == "failed active health check, health check timed out"
    (degraded,) = report.get("nopanic_cluster").hosts
    assert degraded.flags == {HealthFlag.DEGRADED_ACTIVE_HC}
    assert not degraded.healthy


def test_outlier_ejected_hosts_show_failed_outlier_check():
    hosts = clusters("backend_down").get("outlier_cluster").hosts
    assert len(hosts) == 2
    assert all(h.flags == {HealthFlag.FAILED_OUTLIER_CHECK} for h in hosts)
    assert all(h.hostname == "127.0.0.1" for h in hosts)  # STRICT_DNS hosts carry a hostname


@pytest.mark.parametrize("fmt", ["json", "txt"])
def test_eds_health_statuses_map_to_their_flags(fmt):
    eds = clusters("healthy", fmt).get("eds_cluster")
    assert eds.added_via_api
    assert [h.flags for h in eds.hosts] == [
        frozenset(),
        {HealthFlag.FAILED_EDS_HEALTH},
        {HealthFlag.EDS_STATUS_DRAINING},
        {HealthFlag.DEGRADED_EDS_HEALTH},
    ]


def test_pre_initializing_host_shows_failed_active_hc_before_the_first_round():
    (host,) = clusters("pre_initializing").get("backend_cluster").hosts
    assert host.flags == {HealthFlag.FAILED_ACTIVE_HC}


def test_circuit_breaker_limits_and_added_via_api():
    backend = clusters("healthy").get("backend_cluster")
    assert not backend.added_via_api
    limits = backend.limits("DEFAULT")
    assert (limits.max_connections, limits.max_pending_requests, limits.max_requests) == (
        100,
        50,
        200,
    )
    assert limits.max_retries == 3
    assert backend.limits("HIGH").max_connections == 1024


def test_empty_cluster_is_listed_without_hosts():
    empty = clusters("backend_down").get("empty_cluster")
    assert empty is not None and empty.hosts == ()


@pytest.mark.parametrize("state", STATES)
def test_text_format_gives_the_same_hosts_and_limits_as_json(state):
    from_json, from_text = clusters(state, "json"), clusters(state, "txt")
    assert from_text.format == "text"
    assert sorted(from_json.names) == sorted(from_text.names)
    for cluster in from_json.clusters:
        other = from_text.get(cluster.name)
        assert sorted(other.hosts, key=lambda h: h.endpoint) == sorted(
            cluster.hosts, key=lambda h: h.endpoint
        )
        assert other.circuit_breakers == cluster.circuit_breakers
        assert other.added_via_api == cluster.added_via_api


def test_text_parser_keeps_unknown_flags_and_reads_ipv6_addresses():
    text = (
        "c::observability_name::c\n"
        "c::added_via_api::true\n"
        "c::[::1]:8443::cx_connect_fail::7\n"
        "c::[::1]:8443::health_flags::/failed_active_hc/some_future_flag\n"
        "c::[::1]:8443::success_rate::-1\n"
        "c::[::1]:8443::hostname::\n"
    )
    (host,) = parse_clusters_text(text).get("c").hosts
    assert (host.address, host.port, host.endpoint) == ("::1", 8443, "[::1]:8443")
    assert host.flags == {HealthFlag.FAILED_ACTIVE_HC}
    assert host.unknown_flags == ("some_future_flag",)
    assert host.cx_connect_fail == 7 and host.success_rate is None
    assert not host.healthy


def test_empty_json_object_or_text_is_an_envoy_without_clusters():
    for report in (parse_clusters_json("{}"), parse_clusters_text("")):
        assert report.error == "" and report.clusters == ()


@pytest.mark.parametrize(
    ("parse", "body", "needle"),
    [
        (parse_clusters_json, b"", "empty"),
        (parse_clusters, b"<html><body>502 Bad Gateway</body></html>", "HTML"),
        (parse_clusters_json, b"<html><body>502 Bad Gateway</body></html>", "HTML"),
        (parse_clusters, b'{"cluster_statuses": [{"name": "a", "host_st', "not JSON"),
        (parse_clusters_json, b"[1, 2]", "not an object"),
        (parse_clusters, b'{"stats": []}', "no cluster_statuses"),
        (parse_clusters, b"hello world\nno separators here\n", "no `cluster::"),
    ],
)
def test_garbage_gives_an_error_line_not_an_exception(parse, body, needle):
    report = parse(body)
    assert needle in report.error
    assert "\n" not in report.error
    assert report.clusters == ()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_never_raise(body):
    report = parse_clusters(body)
    assert isinstance(report.error, str)


@settings(max_examples=200, deadline=None)
@given(json_values())
def test_any_json_never_raises(doc):
    for wrapped in (
        doc,
        {"cluster_statuses": doc},
        {"cluster_statuses": [{"name": "x", "host_statuses": doc}]},
    ):
        report = parse_clusters_json(json.dumps(wrapped))
        assert all(c.name for c in report.clusters)
