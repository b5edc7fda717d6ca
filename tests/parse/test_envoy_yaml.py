import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import statuses_text
from darc_tui.parse.envoy_yaml import diff, parse_envoy_yaml
from tests.parse.envoy_data import ENVOY_DATA, json_values, recorded, recorded_json


@pytest.fixture(scope="module")
def running():
    return parse_config_dump(recorded("healthy", "config_dump.json"))


@pytest.fixture(scope="module")
def disk_text(running):
    """The capture's bootstrap template with the ports that capture used filled in."""
    outlier = running.cluster("outlier_cluster").endpoints
    ports = {
        "ADMIN": running.admin.port,
        "LISTEN": running.listener_ports[0],
        "B1": running.cluster("backend_cluster").endpoints[0].port,
        "B2": running.cluster("nopanic_cluster").endpoints[0].port,
        "B3": outlier[0].port,
        "B4": outlier[1].port,
        "B5": running.cluster("tls_h2_cluster").endpoints[0].port,
        "DIR": "/tmp/capture",
    }
    text = (ENVOY_DATA / "bootstrap.yaml").read_text()
    for key, value in ports.items():
        text = text.replace(f"@{key}@", str(value))
    return text


def test_envoy_yaml_on_disk_reads_like_the_running_config(disk_text, running):
    disk = parse_envoy_yaml(disk_text, source="/etc/envoy/envoy.yaml")
    assert disk.error == "" and disk.source == "/etc/envoy/envoy.yaml"
    assert {c.name for c in disk.clusters} == {c.name for c in running.clusters if not c.dynamic}
    # "0.25s" vs "0.250s", {value: 0} vs {}, defaults vs unset: no difference
    assert diff(disk, running) == []


def test_running_bootstrap_round_trips_through_yaml(running):
    configs = recorded_json("healthy", "config_dump.json")["configs"]
    bootstrap = next(c for c in configs if c["@type"].endswith("BootstrapConfigDump"))["bootstrap"]
    assert diff(parse_envoy_yaml(yaml.safe_dump(bootstrap)), running) == []


def edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_changed_endpoint_port_is_one_readable_line(disk_text, running):
    port = running.cluster("backend_cluster").endpoints[0].port
    disk = parse_envoy_yaml(edited(disk_text, f"port_value: {port}", "port_value: 18444"))
    (change,) = diff(disk, running)
    assert str(change) == f"cluster backend_cluster endpoint 127.0.0.1:{port} → 127.0.0.1:18444"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "path: /api/health\n        host",
            "path: /healthz\n        host",
            "cluster backend_cluster health check",
        ),
        (
            "healthy_panic_threshold: {value: 0}",
            "healthy_panic_threshold: {value: 25}",
            "cluster nopanic_cluster healthy_panic_threshold 0% → 25%",
        ),
        ("max_connections: 100", "max_connections: 7", "cluster backend_cluster circuit breakers"),
        (
            "route: {cluster: backend_cluster}",
            "route: {cluster: nopanic_cluster}",
            "listener listener_http route prefix /api/ backend_cluster → nopanic_cluster",
        ),
        (
            '[{exact: "https://www.darc.kr"}]',
            '[{exact: "https://darc.example"}]',
            "listener listener_http cors",
        ),
        (
            "sni: backend.local",
            "sni: other.local",
            "cluster tls_h2_cluster upstream TLS on (sni backend.local) → on (sni other.local)",
        ),
        (
            "http2_protocol_options: {}",
            "http_protocol_options: {}",
            "cluster tls_h2_cluster upstream protocol http2 → http1",
        ),
    ],
)
def test_each_kind_of_edit_is_reported(disk_text, running, old, new, expected):
    changes = [str(c) for c in diff(parse_envoy_yaml(edited(disk_text, old, new)), running)]
    assert len(changes) == 1 and changes[0].startswith(expected), changes


def test_added_and_removed_clusters_are_reported_but_dynamic_ones_are_not(disk_text, running):
    doc = yaml.safe_load(disk_text)
    clusters = doc["static_resources"]["clusters"]
    clusters[:] = [c for c in clusters if c["name"] != "empty_cluster"]
    clusters.append({"name": "new_cluster", "type": "STATIC"})
    changes = [str(c) for c in diff(parse_envoy_yaml(yaml.safe_dump(doc)), running)]
    assert sorted(changes) == [
        "cluster empty_cluster present → removed on disk",
        "cluster new_cluster absent → added on disk",
    ]  # eds_cluster comes from CDS: not expected on disk


def test_yaml_error_names_line_and_column():
    summary = parse_envoy_yaml("admin:\n  address: [1\nstatic_resources: {}\n", source="envoy.yaml")
    assert summary.error == "envoy.yaml: line 3, column 17: did not find expected ',' or ']'"
    assert (summary.line, summary.column) == (3, 17)
    assert summary.clusters == ()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "the document is empty"),
        ("- a\n- b\n", "the document is a list"),
        ("static_resources: !include {}\n", "line 1, column 19: could not determine a constructor"),
        ("a: 1\n\tb: 2\n", "line 2, column 1"),
    ],
)
def test_not_a_bootstrap_is_one_error_line(text, needle):
    summary = parse_envoy_yaml(text)
    assert needle in summary.error and "\n" not in summary.error


def test_string_ports_and_missing_fields_take_envoy_defaults():
    text = """
static_resources:
  clusters:
  - name: c
    load_assignment:
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: "8080"}}}}]}]
  listeners:
  - name: l
    address: {socket_address: {address: 0.0.0.0, port_value: 80}}
"""
    summary = parse_envoy_yaml(text)
    c = summary.cluster("c")
    assert [tuple(e) for e in c.endpoints] == [("10.0.0.1", 8080)]
    assert (c.type, c.connect_timeout, c.panic_threshold, c.idle_timeout) == (
        "STATIC",
        5.0,
        50.0,
        3600.0,
    )
    assert c.max_connections == 1024 and c.health_check is None and c.hc_path is None
    assert summary.listener("l").routes == () and summary.admin is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_never_raises(text):
    assert isinstance(parse_envoy_yaml(text).error, str)


@settings(max_examples=200, deadline=None)
@given(json_values())
def test_any_structure_never_raises(doc):
    for shape in (
        doc,
        {"static_resources": doc, "admin": doc},
        {"static_resources": {"clusters": [doc, {"name": "x", "load_assignment": doc}]}},
        {"static_resources": {"listeners": [{"name": "l", "filter_chains": [{"filters": [doc]}]}]}},
    ):
        parse_envoy_yaml(json.dumps(shape))


def test_recorded_expected_statuses_read_as_a_range(running):
    """backend_cluster's recorded check accepts [200, 205): said as Envoy's range, not a list."""
    hc = running.cluster("backend_cluster").health_check
    assert hc.expected_codes() == (200, 201, 202, 203, 204)
    assert statuses_text(hc.expected_codes()) == "200-204"
    assert statuses_text((200,)) == "200"
    assert statuses_text((204, 200, 201, 301)) == "200-201/204/301"
