"""Reading a bootstrap the way Envoy 1.40 does: recorded shapes/bootstrap.yaml vs the /config_dump
the real Envoy gave for it, and the rules behind each shape."""

from __future__ import annotations

import pytest

from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import EnvoySummary, ListenerSummary, diff
from darc_tui.parse.envoy_yaml import parse_envoy_yaml
from tests.parse.envoy_data import ENVOY_DATA, recorded

BOOTSTRAP = (ENVOY_DATA / "shapes" / "bootstrap.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def disk():
    return parse_envoy_yaml(BOOTSTRAP, source="shapes/bootstrap.yaml")


@pytest.fixture(scope="module")
def running():
    return parse_config_dump(recorded("shapes", "config_dump.json"))


def test_what_envoy_would_load_is_what_it_loaded(disk, running):
    assert not disk.error and not running.error
    assert diff(disk, running) == []


def test_unnamed_listeners_are_kept_and_keyed_by_address(disk, running):
    for summary in (disk, running):
        keys = [x.key for x in summary.listeners]
        assert keys == ["127.0.0.1:19902", "127.0.0.2:19902", "named"]
        assert summary.listener("127.0.0.2:19902").routes[0].cluster == "app"


def test_a_mapping_or_a_scalar_where_a_list_is_expected_is_a_one_item_list(disk):
    (cluster,) = disk.clusters
    assert [str(e) for e in cluster.endpoints] == ["127.0.0.1:18080"]
    assert cluster.hc_path == "/healthz" and cluster.hc_timeout == 0.25
    assert cluster.circuit_breakers[0].max_connections == 10
    first = disk.listeners[0]
    assert first.virtual_hosts[0].domains == ("*",)
    assert first.http_filters == ("envoy.filters.http.router",)


def test_lower_case_enums_read_as_envoy_writes_them(disk, running):
    for summary in (disk, running):
        cluster = summary.cluster("app")
        assert (cluster.type, cluster.lb_policy) == ("STRICT_DNS", "LEAST_REQUEST")
        assert cluster.circuit_breakers[0].priority == "HIGH"


def test_aliases_share_the_anchored_route_config(disk):
    one, two = disk.listeners[0], disk.listeners[1]
    assert one.virtual_hosts == two.virtual_hosts and one.route_config_name == "local_route"


def test_alt_stat_name_is_the_stats_name(disk, running):
    for summary in (disk, running):
        cluster = summary.cluster("app")
        assert (cluster.name, cluster.stat_name) == ("app", "app_stats")


def test_a_changed_alt_stat_name_is_drift(disk, running):
    edited = parse_envoy_yaml(BOOTSTRAP.replace("app_stats", "app_v2"))
    (change,) = diff(edited, running)
    assert str(change) == "cluster app alt_stat_name app_stats → app_v2"


def test_an_edited_unnamed_listener_is_reported_under_its_address(running):
    edited = parse_envoy_yaml(
        BOOTSTRAP.replace("127.0.0.2, port_value: 19902", "127.0.0.3, port_value: 19902")
    )
    subjects = sorted(c.subject for c in diff(edited, running))
    assert subjects == ["listener 127.0.0.2:19902", "listener 127.0.0.3:19902"]


def test_two_unnamed_listeners_never_collapse_into_one():
    same = ListenerSummary(name="", address="127.0.0.1", port=8080)
    one = EnvoySummary(listeners=(same,))
    two = EnvoySummary(listeners=(same, same))
    (change,) = diff(two, one)
    assert str(change) == "listener 127.0.0.1:8080 #2 absent → added on disk"


@pytest.mark.parametrize(
    ("address", "port", "protocol", "key"),
    [
        ("0.0.0.0", 8080, "TCP", "0.0.0.0:8080"),
        ("::", 443, "TCP", "[::]:443"),
        ("0.0.0.0", 443, "UDP", "0.0.0.0:443/udp"),
        ("/run/envoy.sock", None, "TCP", "/run/envoy.sock"),
    ],
)
def test_listener_key_is_its_address(address, port, protocol, key):
    listener = ListenerSummary(name="", address=address, port=port, protocol=protocol)
    assert listener.key == key


def test_numeric_enums_and_numeric_strings_read_like_names():
    text = """
static_resources:
  clusters:
  - {name: c, type: 2, lb_policy: 1}
  listeners:
  - address: {socket_address: {address: 0.0.0.0, port_value: 80}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          route_config:
            virtual_hosts:
            - {name: v, domains: ["*"], cors: {max_age: 1728000, allow_methods: GET}}
"""
    summary = parse_envoy_yaml(text)
    cluster = summary.cluster("c")
    assert (cluster.type, cluster.lb_policy) == ("LOGICAL_DNS", "LEAST_REQUEST")
    cors = summary.listener("0.0.0.0:80").virtual_hosts[0].cors
    assert cors is not None and cors.max_age == "1728000"


def test_unnamed_filter_chains_are_told_apart_by_their_match(disk, running):
    for summary in (disk, running):
        chains = summary.listener("named").filter_chains
        assert [c.key for c in chains] == [
            "source_prefix_ranges=127.0.0.2/32 source_ports=1234",
            "*",
            "fallback",
        ]
        assert chains[2].filters == ("envoy.filters.network.tcp_proxy",)


def test_every_filter_chain_brings_its_virtual_hosts_once(disk):
    named = disk.listener("named")
    assert [vh.name for vh in named.virtual_hosts] == ["www", "app"]
    assert {r.value for r in named.routes} == {"/api/", "/"}


def test_a_changed_filter_chain_match_is_drift(running):
    edited = parse_envoy_yaml(BOOTSTRAP.replace("source_ports: 1234", "source_ports: 4321"))
    (change,) = diff(edited, running)
    assert change.subject == "listener named filter chains"
    assert "source_ports=1234" in change.running and "source_ports=4321" in change.disk


MINIMAL = """
static_resources:
  clusters:
  - name: c
    load_assignment:
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}}]}]
    health_checks: [{timeout: 1s, interval: 1s, http_health_check: {path: /h}}]
  listeners:
  - address: {socket_address: {address: 0.0.0.0, port_value: 80}}
"""

EXPLICIT = """
static_resources:
  clusters:
  - name: c
    type: STATIC
    lb_policy: ROUND_ROBIN
    connect_timeout: 5s
    common_lb_config: {healthy_panic_threshold: {value: 50}}
    circuit_breakers:
      thresholds:
      - {priority: DEFAULT, max_connections: 1024, max_pending_requests: 1024,
         max_requests: 1024, max_retries: 3}
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: {idle_timeout: 3600s}
        explicit_http_config: {http_protocol_options: {}}
    load_assignment:
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}}]}]
    health_checks:
    - timeout: 1s
      interval: 1s
      no_traffic_interval: 60s
      http_health_check: {path: /h, host: c, expected_statuses: [{start: 200, end: 201}]}
  listeners:
  - address: {socket_address: {address: 0.0.0.0, port_value: 80, protocol: TCP}}
"""


def test_a_field_set_to_envoys_default_is_not_drift():
    assert diff(parse_envoy_yaml(EXPLICIT), parse_envoy_yaml(MINIMAL)) == []
    assert diff(parse_envoy_yaml(MINIMAL), parse_envoy_yaml(EXPLICIT)) == []


def test_a_key_tagged_ignore_is_dropped_like_envoy_does(disk):
    # bootstrap.yaml keeps its anchors under `!ignore anchors:`; Envoy loads it without that key
    assert not disk.error
    assert disk.cluster("app").connect_timeout == 0.25
    two = parse_envoy_yaml(
        "!ignore a: {x: &p 80}\n!ignore b: 2\nadmin: {address: {socket_address: {port_value: *p}}}\n"
    )
    assert (two.error, two.admin_port) == ("", 80)
