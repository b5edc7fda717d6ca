"""envoy.hc_request: the configured health check (path, Host header, expected statuses) asked by
hand from the Envoy host, against a real Envoy's cluster hosts and the demo backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from darc_tui.config import LOCAL, Config, EnvoyConfig
from darc_tui.hosts.base import Host
from darc_tui.hosts.http import HttpResult
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.probes import PROBE_MODULES, health_check
from darc_tui.probes.health_check import (
    HcAnswer,
    HcSettings,
    HealthCheckRequestProbe,
    build,
    judge_answer,
)
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab
from tests.lab.sshd import Sshd


async def asked(
    lab: Lab, host: Host | None = None, probe: HealthCheckRequestProbe | None = None
) -> tuple[Evidence, Evidence]:
    """(the one host's evidence, the cluster's summary) of one round."""
    probe = probe or HealthCheckRequestProbe(
        host or LocalHost(),
        lab.admin_url,
        lab.spec.cluster_name,
        str(lab.yaml_path),
        timeout=1.0,
    )
    found = await probe.run_all()
    assert len(found) == 2, found
    return found[0], found[1]


async def test_the_configured_check_passes_on_a_healthy_host(make_lab: MakeLab) -> None:
    lab = make_lab(cluster_name="api_upstream", hc_path="/healthz")
    lab.backend.health_path = "/healthz"
    ev, summary = await asked(lab)
    endpoint = f"127.0.0.1:{lab.backend.port}"
    assert (ev.probe, ev.target, ev.vantage) == ("envoy.hc_request", endpoint, Vantage.ENVOY_HOST)
    assert ev.status is Status.OK and ev.facts["status"] == 200 and ev.facts["passed"] is True
    # Envoy's behaviour: no `host` configured → the cluster name is the Host header
    assert ev.facts["host_header"] == "api_upstream" and ev.facts["path"] == "/healthz"
    assert ev.facts["expected"] == [200]
    assert ev.command == (
        "curl -s -o /dev/null -w '%{http_code} %{time_total}\\n' -H 'Host: api_upstream' "
        f"http://{endpoint}/healthz"
    )
    assert summary.target == "api_upstream" and summary.status is Status.OK


async def test_it_asks_no_more_often_than_envoys_own_checker(make_lab: MakeLab) -> None:
    lab = make_lab(hc_interval=0.75)
    probe = HealthCheckRequestProbe(
        LocalHost(), lab.admin_url, lab.spec.cluster_name, str(lab.yaml_path), interval=0.2
    )
    await asked(lab, probe=probe)
    assert probe.interval == 0.75  # each host gets Envoy's check this often already


async def test_a_wrong_path_gets_the_apps_404(make_lab: MakeLab) -> None:
    lab = make_lab(healthy=False, hc_path="/wrong/health")
    lab.backend.strict_paths = True
    ev, summary = await asked(lab)
    assert ev.status is Status.FAIL and ev.facts["status"] == 404
    assert (
        "GET http://127.0.0.1:" in ev.detail and "/wrong/health Host: backend_cluster" in ev.detail
    )
    assert "→ 404" in ev.detail
    assert "Envoy's check accepts only 200" in ev.detail
    assert summary.status is Status.FAIL and summary.facts["failing"] == [ev.target]


async def test_the_configured_host_header_is_sent(make_lab: MakeLab) -> None:
    lab = make_lab(hc_host="api.internal")
    lab.backend.served_hosts = ("api.internal",)  # an app that routes by Host
    ev, _ = await asked(lab)
    assert ev.status is Status.OK and ev.facts["host_header"] == "api.internal"
    lab.backend.served_hosts = ("www.darc.kr",)
    ev, _ = await asked(lab)
    assert ev.status is Status.FAIL and ev.facts["status"] == 404


async def test_a_204_fails_unless_expected_statuses_allow_it(make_lab: MakeLab) -> None:
    lab = make_lab(healthy=False)
    lab.backend.health_status = 204
    ev, _ = await asked(lab)
    assert ev.status is Status.FAIL and "→ 204" in ev.detail
    allowing = make_lab(hc_expected_statuses=(200, 204))
    allowing.backend.health_status = 204
    ev, _ = await asked(allowing)
    assert ev.status is Status.OK and ev.facts["expected"] == [200, 204]


async def test_a_backend_slower_than_the_checks_timeout_fails_as_slow(make_lab: MakeLab) -> None:
    lab = make_lab(hc_timeout=0.25)
    lab.backend.delay = 0.5
    ev, _ = await asked(lab)
    assert ev.status is Status.FAIL and ev.facts["slow"] is True and ev.facts["status"] == 200
    assert "slower than the check's timeout (0.25 s)" in ev.detail


async def test_a_cluster_without_an_http_check_has_nothing_to_ask(make_lab: MakeLab) -> None:
    lab = make_lab(health_check=False)
    probe = HealthCheckRequestProbe(
        LocalHost(), lab.admin_url, lab.spec.cluster_name, str(lab.yaml_path)
    )
    (only,) = await probe.run_all()
    assert only.status is Status.UNKNOWN and only.target == "backend_cluster"
    assert "has no active HTTP health check" in only.detail


async def test_an_unreadable_envoy_yaml_is_an_error(tmp_path: Path) -> None:
    probe = HealthCheckRequestProbe(
        LocalHost(), "http://127.0.0.1:9", "backend_cluster", str(tmp_path / "none.yaml")
    )
    (only,) = await probe.run_all()
    assert only.status is Status.ERROR and "cannot read" in only.detail


@pytest.fixture
async def edge(sshd: Sshd) -> AsyncIterator[SshHost]:
    host = SshHost(sshd.host_config("edge"))
    try:
        yield host
    finally:
        await host.close()


async def test_the_check_is_asked_from_an_ssh_envoy_host(edge: SshHost, make_lab: MakeLab) -> None:
    lab = make_lab()
    ev, _ = await asked(lab, edge)
    assert ev.status is Status.OK and ev.via == "ssh direct-tcpip"
    assert ev.command.startswith("ssh edge ")


def test_a_redirect_names_where_it_points() -> None:
    settings = HcSettings("/health", "backend_cluster", (200,), 1.0, tls=False)
    result = HttpResult(
        "http://127.0.0.1:18443/health",
        "GET",
        301,
        (("location", "https://127.0.0.1/health"),),
        total_ms=2.0,
    )
    status, detail = judge_answer(HcAnswer("127.0.0.1:18443", settings, result), result.url)
    assert status is Status.FAIL
    assert detail.endswith(
        "→ 301 in 2 ms redirect to https://127.0.0.1/health: Envoy's check accepts only 200"
    )


def test_build_asks_from_the_envoy_host_and_is_registered() -> None:
    assert health_check in PROBE_MODULES
    config = Config(envoy=EnvoyConfig(cluster="api", config_path="/etc/envoy/envoy.yaml"))
    (probe,) = build(config, {LOCAL: LocalHost()})
    assert (probe.name, probe.target, probe.vantage) == (
        "envoy.hc_request",
        "api",
        Vantage.ENVOY_HOST,
    )
    assert build(config, {}) == []
