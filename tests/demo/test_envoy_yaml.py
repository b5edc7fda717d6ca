"""envoy_yaml.render: every spec variant the demo and the faults use is accepted by real Envoy."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
import yaml

from darc_tui.demo.envoy_yaml import ClusterType, Endpoint, EnvoySpec, render

VARIANTS = {
    "site defaults": EnvoySpec(),
    "strict dns with its own resolver": EnvoySpec(
        cluster_type=ClusterType.STRICT_DNS,
        endpoints=(Endpoint("backend.lab.test", 18443), Endpoint("other.lab.test", 18444)),
        dns_resolver=("127.0.0.1", 5353),
        dns_refresh_rate=0.5,
        ignore_health_on_host_removal=True,
    ),
    "tls + http2 + idle timeout": EnvoySpec(
        upstream_tls=True, upstream_http2=True, upstream_idle_timeout=2.5
    ),
    "idle timeout alone": EnvoySpec(upstream_idle_timeout=30),
    "breakers, outlier, no panic": EnvoySpec(
        cb_max_connections=1,
        cb_max_pending_requests=1,
        cb_max_requests=1,
        outlier_consecutive_5xx=3,
        outlier_max_ejection_percent=100,
        healthy_panic_threshold=0,
    ),
    "health check knobs": EnvoySpec(
        hc_path="/healthz",
        hc_host="api.internal",
        hc_expected_statuses=(200, 204),
        hc_interval=0.25,
        hc_timeout=0.1,
        hc_no_traffic_interval=5,
        route_timeout=0.5,
        connect_timeout=0.25,
    ),
    "custom access log format": EnvoySpec(
        access_log_format='[%START_TIME%] "%REQ(:METHOD)% %REQ(:PATH)%" %RESPONSE_CODE% '
        "%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST%"
    ),
    "bare: no hc, no cors, no access log": EnvoySpec(
        health_check=False, cors_origins=(), access_log_path=""
    ),
}


@pytest.mark.parametrize("spec", VARIANTS.values(), ids=VARIANTS.keys())
def test_real_envoy_accepts_rendered_config(spec: EnvoySpec, tmp_path: Path, envoy_binary: Path):
    config = tmp_path / "envoy.yaml"
    if spec.access_log_path:
        # validate opens the access log: it fails when the log's directory does not exist
        spec = dataclasses.replace(spec, access_log_path=str(tmp_path / "access.log"))
    config.write_text(render(spec))
    result = subprocess.run(
        [str(envoy_binary), "--mode", "validate", "-c", str(config), "--disable-hot-restart"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_real_envoy_rejects_a_broken_variant(tmp_path: Path, envoy_binary: Path):
    """The validation above can fail: a negative threshold is refused."""
    config = tmp_path / "envoy.yaml"
    spec = EnvoySpec(healthy_panic_threshold=-5, access_log_path=str(tmp_path / "access.log"))
    config.write_text(render(spec))
    result = subprocess.run(
        [str(envoy_binary), "--mode", "validate", "-c", str(config), "--disable-hot-restart"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "value must be inside range [0, 100]" in result.stdout + result.stderr


def _cluster(spec: EnvoySpec) -> dict:
    return yaml.safe_load(render(spec))["static_resources"]["clusters"][0]


def test_defaults_have_the_original_site_shape():
    boot = yaml.safe_load(render(EnvoySpec()))
    assert boot["admin"]["address"]["socket_address"]["port_value"] == 9901
    listener = boot["static_resources"]["listeners"][0]
    assert listener["address"]["socket_address"]["port_value"] == 8080
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    (route,) = hcm["route_config"]["virtual_hosts"][0]["routes"]
    assert route == {"match": {"prefix": "/api"}, "route": {"cluster": "backend_cluster"}}
    cluster = _cluster(EnvoySpec())
    assert cluster["name"] == "backend_cluster" and cluster["type"] == "STATIC"
    assert cluster["health_checks"][0]["http_health_check"] == {"path": "/api/health"}
    assert "common_lb_config" not in cluster  # Envoy's default panic threshold (50 %)
    assert "log_format" not in hcm["access_log"][0]["typed_config"]  # Envoy's default format


def test_health_check_runs_without_traffic_at_the_interval():
    check = _cluster(EnvoySpec(hc_interval=0.5))["health_checks"][0]
    assert check["no_traffic_interval"] == check["interval"] == "0.5s"


def test_expected_statuses_become_half_open_ranges():
    check = _cluster(EnvoySpec(hc_expected_statuses=(204,)))["health_checks"][0]
    assert check["http_health_check"]["expected_statuses"] == [{"start": 204, "end": 205}]


def test_dns_cluster_uses_only_the_given_resolver():
    spec = EnvoySpec(cluster_type=ClusterType.STRICT_DNS, dns_resolver=("127.0.0.1", 5300))
    resolver = _cluster(spec)["typed_dns_resolver_config"]["typed_config"]
    assert resolver["resolvers"] == [
        {"socket_address": {"address": "127.0.0.1", "port_value": 5300, "protocol": "UDP"}}
    ]
    assert resolver["use_resolvers_as_fallback"] is False


def test_custom_access_log_format_ends_each_record_with_a_newline():
    boot = yaml.safe_load(render(EnvoySpec(access_log_format="%RESPONSE_CODE%")))
    hcm = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    log = hcm["typed_config"]["access_log"][0]["typed_config"]
    assert log["log_format"]["text_format_source"]["inline_string"] == "%RESPONSE_CODE%\n"


def test_durations_are_protobuf_strings():
    cluster = _cluster(EnvoySpec(connect_timeout=0.25, upstream_idle_timeout=3600))
    assert cluster["connect_timeout"] == "0.25s"
    options = cluster["typed_extension_protocol_options"]
    common = options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
    assert common["common_http_protocol_options"] == {"idle_timeout": "3600s"}


def test_urls_follow_the_bind_addresses():
    spec = EnvoySpec(admin_port=9000, listener_address="0.0.0.0", listener_port=8000)
    assert spec.admin_url == "http://127.0.0.1:9000"
    assert spec.listener_url == "http://127.0.0.1:8000"
