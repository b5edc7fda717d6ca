"""The `make_lab` fixture: a real Envoy in front of the demo backend, ready for fault tests."""

from __future__ import annotations

import os
import time
import tomllib

import httpx

from darc_tui.config import load_config
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab, to_toml


def test_lab_serves_the_api_through_envoy_and_404s_other_paths(lab: Lab):
    response = httpx.get(lab.public_url)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "x-envoy-upstream-service-time" in response.headers  # came from the backend
    assert httpx.get(f"{lab.listener_url}/elsewhere").status_code == 404
    assert lab.wait_access_log('"GET /elsewhere HTTP/1.1" 404 NR')


def test_cors_preflight_is_answered_only_for_the_site_origin(lab: Lab):
    def preflight(origin: str) -> httpx.Response:
        headers = {"origin": origin, "access-control-request-method": "GET"}
        return httpx.options(f"{lab.listener_url}/api/orders", headers=headers)

    allowed = preflight(lab.spec.cors_origins[0])
    assert allowed.headers["access-control-allow-origin"] == lab.spec.cors_origins[0]
    assert "access-control-allow-origin" not in preflight("https://other.example").headers


def test_backend_down_makes_the_host_unhealthy_and_up_heals_it(lab: Lab):
    lab.backend.down()
    (host,) = lab.wait_unhealthy()
    assert host.port == lab.backend.port and "failed_active_health_check" in host.flags
    lab.backend.up()
    lab.wait_healthy()


def test_no_panic_and_a_failing_health_check_give_503_no_healthy_upstream(make_lab: MakeLab):
    lab = make_lab(healthy_panic_threshold=0)
    lab.backend.health_status = 500
    lab.wait_unhealthy()
    response = httpx.get(lab.public_url)
    assert (response.status_code, response.text) == (503, "no healthy upstream")


def test_reconfigure_restarts_envoy_on_the_same_ports(lab: Lab):
    admin, listener, old_pid = lab.admin_url, lab.listener_url, lab.envoy.pid
    lab.reconfigure(route_prefix="/v2")
    assert (lab.admin_url, lab.listener_url) == (admin, listener)
    assert lab.envoy.pid != old_pid
    assert httpx.get(f"{listener}/api/health").status_code == 404
    lab.wait_healthy()
    assert httpx.get(f"{listener}/v2").status_code == 200


def test_written_config_loads_and_points_at_the_lab(lab: Lab):
    path = lab.write_config(envoy={"reload": "command", "reload_command": "true"})
    config = load_config(path)
    assert config.envoy.admin_url == lab.admin_url
    assert config.envoy.config_path == str(lab.yaml_path)
    assert config.envoy.reload == "command" and config.envoy.unit == ""
    assert config.backend.url == lab.backend.url
    assert config.site.public_url == lab.public_url
    assert config.probes.interval == 0.5


def test_toml_writer_handles_nested_host_tables():
    text = to_toml({"hosts": {"edge": {"address": "127.0.0.1", "port": 2222, "sudo": False}}})
    assert tomllib.loads(text) == {
        "hosts": {"edge": {"address": "127.0.0.1", "port": 2222, "sudo": False}}
    }


def test_two_labs_run_side_by_side_and_close_leaves_no_envoy(make_lab: MakeLab):
    first, second = make_lab(), make_lab()
    assert first.admin_url != second.admin_url
    pids = [first.envoy.pid, second.envoy.pid]
    first.close()
    second.close()
    for pid in pids:
        assert pid is not None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"Envoy {pid} still running after close()")


def test_module_lab_factory_builds_a_serving_lab(make_module_lab: MakeLab):
    shared = make_module_lab()
    assert httpx.get(shared.public_url).status_code == 200


def test_keepalive_race_gives_503_uc_through_envoy(lab: Lab):
    lab.backend.keepalive_idle_close = 0.05
    lab.backend.keepalive_race = True
    with httpx.Client() as client:
        assert client.get(f"{lab.listener_url}/api/orders").status_code == 200
        idle_until = time.monotonic() + 0.1
        while time.monotonic() < idle_until:  # Envoy's upstream connection sits idle
            time.sleep(0.02)
        response = client.get(f"{lab.listener_url}/api/orders")
    assert response.status_code == 503
    assert response.text.endswith("reset reason: connection termination")
    assert lab.wait_access_log(" 503 UC ")
