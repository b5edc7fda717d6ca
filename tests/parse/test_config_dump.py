import json

import pytest
from hypothesis import given, settings

from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import Endpoint
from tests.parse.envoy_data import json_values, recorded, recorded_json, recorded_port


@pytest.fixture(scope="module")
def running():
    summary = parse_config_dump(recorded("healthy", "config_dump.json"))
    assert summary.error == ""
    return summary


def test_static_cluster_with_health_check_breakers_and_outlier_detection(running):
    backend = running.cluster("backend_cluster")
    assert backend.type == "STATIC" and not backend.dynamic
    assert backend.endpoints == (
        Endpoint("127.0.0.1", recorded_port("healthy", "backend_cluster")),
    )
    assert backend.connect_timeout == 0.25
    hc = backend.health_check
    assert (hc.kind, hc.path, hc.host, hc.host_set) == (
        "http",
        "/api/health",
        "backend.local",
        True,
    )
    assert (hc.timeout, hc.interval, hc.no_traffic_interval) == (0.5, 0.5, 1.0)
    assert (hc.unhealthy_threshold, hc.healthy_threshold) == (1, 1)
    assert hc.expected_statuses == ((200, 205),)
    assert backend.hc_expected_statuses == (200, 201, 202, 203, 204)
    assert (backend.max_connections, backend.max_pending_requests, backend.max_requests) == (
        100,
        50,
        200,
    )
    assert backend.outlier_detection.consecutive_5xx == 5
    assert backend.max_ejection_percent == 10  # Envoy's default: the last host is never ejected
    assert backend.panic_threshold == 50.0
    assert (backend.upstream_tls, backend.http2, backend.idle_timeout) == (False, False, 3600.0)


def test_health_check_host_defaults_to_the_cluster_name(running):
    hc = running.cluster("nopanic_cluster").health_check
    assert (hc.host, hc.host_set) == ("nopanic_cluster", False)
    assert hc.expected_statuses == ((200, 201),)
    assert running.cluster("nopanic_cluster").hc_host == ""


def test_panic_threshold_zero_is_read_from_the_empty_percent(running):
    # proto3 JSON writes {value: 0} as {}: it must read as 0 %, not the 50 % default
    raw = recorded_json("healthy", "config_dump.json")
    text = json.dumps(raw)
    assert '"healthy_panic_threshold": {}' in text
    assert running.cluster("nopanic_cluster").panic_threshold == 0.0


def test_tls_http2_idle_timeout_strict_dns_and_dynamic_clusters(running):
    tls = running.cluster("tls_h2_cluster")
    assert (tls.upstream_tls, tls.tls_sni, tls.http2, tls.idle_timeout) == (
        True,
        "backend.local",
        True,
        30.0,
    )
    outlier = running.cluster("outlier_cluster")
    assert outlier.type == "STRICT_DNS" and len(outlier.endpoints) == 2
    assert outlier.max_ejection_percent == 100
    eds = running.cluster("eds_cluster")
    assert eds.dynamic and eds.type == "EDS" and eds.endpoints == ()
    assert running.cluster("empty_cluster").endpoints == ()


def test_include_eds_fills_eds_cluster_endpoints():
    summary = parse_config_dump(recorded("backend_down", "config_dump_eds.json"))
    assert len(summary.cluster("eds_cluster").endpoints) == 4
    assert summary.cluster("backend_cluster").endpoints == (
        Endpoint("127.0.0.1", recorded_port("backend_down", "backend_cluster")),
    )


def test_listener_routes_cors_filters_and_admin(running):
    (listener,) = running.listeners
    ports = recorded_json("healthy", "listeners.json")["listener_statuses"][0]["local_address"]
    assert (listener.name, listener.address) == ("listener_http", "127.0.0.1")
    assert listener.port == ports["socket_address"]["port_value"]
    assert running.listener_ports == (listener.port,)
    routes = {(r.match, r.value): r for r in listener.routes}
    assert routes[("prefix", "/api/")].cluster == "backend_cluster"
    assert routes[("prefix", "/nopanic/")].prefix_rewrite == "/api/"
    assert routes[("path", "/eds")].cluster == "eds_cluster"
    assert listener.http_filters == ("envoy.filters.http.cors", "envoy.filters.http.router")
    cors = listener.virtual_hosts[0].cors
    assert cors.allow_origins == ("https://www.darc.kr",)
    assert cors.allow_methods == "GET, POST, OPTIONS" and cors.max_age == "600"
    assert running.admin.address == "127.0.0.1" and running.admin_port
    assert running.describe().startswith("6 clusters (")


def test_resource_variant_gives_the_same_clusters(running):
    static = parse_config_dump(recorded("healthy", "config_dump_static_clusters.json"))
    assert static.error == ""
    assert static.clusters == tuple(c for c in running.clusters if not c.dynamic)
    assert static.listeners == () and static.admin is None


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"", "empty"),
        (b"<html>admin moved</html>", "HTML"),
        (recorded("healthy", "config_dump.json")[:5000], "not JSON"),
        (b'{"cluster_statuses": []}', "no configs list"),
    ],
)
def test_garbage_gives_an_error_line(body, needle):
    summary = parse_config_dump(body)
    assert needle in summary.error and summary.clusters == ()


@settings(max_examples=200, deadline=None)
@given(json_values())
def test_any_json_never_raises(doc):
    shapes = (
        doc,
        {"configs": doc},
        {"configs": [{"@type": "x.ClustersConfigDump", "static_clusters": [{"cluster": doc}]}]},
        {"configs": [{"@type": "x.ListenersConfigDump", "static_listeners": [{"listener": doc}]}]},
        {
            "configs": [
                {
                    "@type": "x.ClustersConfigDump.StaticCluster",
                    "cluster": {"name": "n", "health_checks": doc},
                }
            ]
        },
    )
    for shape in shapes:
        parse_config_dump(json.dumps(shape))
