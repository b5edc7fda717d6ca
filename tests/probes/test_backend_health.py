"""backend.health from three vantage points against a real Envoy + demo backend (the lab)."""

from __future__ import annotations

from pathlib import Path

import pytest

from darc_tui.config import LOCAL
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.probes.backend_health import HttpHealthProbe, build, classify_reply
from darc_tui.probes.base import Probe
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab
from tests.lab.sshd import Sshd
from tests.probes._hosts import lab_config

UF_BODY = (
    "upstream connect error or disconnect/reset before headers. reset reason: remote connection "
    "failure"
)


def test_connect_failure_body_is_envoys_local_reply_with_its_reset_reason() -> None:
    reply = classify_reply(503, {"server": "envoy", "content-type": "text/plain"}, UF_BODY)
    assert reply.local_reply and reply.flag == "UF"
    assert reply.reset_reason == "remote connection failure"


def test_tls_transport_failure_reason_is_kept_apart() -> None:
    body = (
        "upstream connect error or disconnect/reset before headers. reset reason: connection "
        "failure, transport failure reason: TLS_error:|268435703:SSL routines:OPENSSL_internal:"
        "WRONG_VERSION_NUMBER:TLS_error_end"
    )
    reply = classify_reply(503, {}, body)
    assert reply.reset_reason == "connection failure"
    assert reply.transport_failure.startswith("TLS_error")


def test_other_local_replies_map_to_their_flags() -> None:
    overflow = "upstream connect error or disconnect/reset before headers. reset reason: overflow"
    reply = classify_reply(503, {"x-envoy-overloaded": "true"}, overflow)
    assert (reply.flag, reply.overloaded) == ("UO", True)
    assert classify_reply(503, {}, "no healthy upstream").flag == "UH"
    assert classify_reply(504, {}, "upstream request timeout").flag == "UT"
    no_route = classify_reply(404, {"server": "envoy"}, "")
    assert (no_route.local_reply, no_route.flag) == (True, "NR")


def test_upstream_service_time_header_means_the_backend_answered() -> None:
    reply = classify_reply(500, {"server": "envoy", "x-envoy-upstream-service-time": "3"}, "{}")
    assert reply.local_reply is False and reply.upstream_service_time == "3"
    assert classify_reply(200, {"server": "nginx"}, "ok").local_reply is None


# ---------------------------------------------------------------------------------------------
# against the lab


@pytest.fixture(scope="module")
def shared_lab(make_module_lab: MakeLab) -> Lab:
    return make_module_lab()


@pytest.fixture
def healthy_lab(shared_lab: Lab) -> Lab:
    """The shared lab, healthy at the start of the test (and put back after it)."""
    backend = shared_lab.backend
    backend.delay, backend.health_status = 0.0, 200
    backend.up()
    return shared_lab


def probes_for(lab: Lab, tmp_path: Path) -> list[Probe]:
    config = lab_config(lab, tmp_path, probes={"timeout": 0.5})
    return build(config, {LOCAL: LocalHost()})


async def run_all(probes: list[Probe]) -> dict[tuple[str, Vantage], Evidence]:
    return {(p.name, p.vantage): await p.run() for p in probes}


async def test_healthy_lab_answers_ok_from_every_vantage_point(
    healthy_lab: Lab, tmp_path: Path
) -> None:
    found = await run_all(probes_for(healthy_lab, tmp_path))
    assert set(found) == {
        ("backend.health", Vantage.JUMP),
        ("backend.health", Vantage.ENVOY_HOST),
        ("backend.health", Vantage.THROUGH_ENVOY),
        ("envoy.listener", Vantage.THROUGH_ENVOY),
    }
    assert {ev.status for ev in found.values()} == {Status.OK}
    through = found[("backend.health", Vantage.THROUGH_ENVOY)]
    assert through.facts["status"] == 200
    assert through.facts["upstream_service_time"] is True
    assert through.facts["local_reply"] is False and through.facts["server"] == "envoy"
    direct = found[("backend.health", Vantage.JUMP)]
    assert direct.facts["connect_ms"] is not None and direct.facts["ttfb_ms"] is not None
    assert direct.target != found[("backend.health", Vantage.ENVOY_HOST)].target
    assert direct.command.startswith("curl -sv")


async def test_backend_down_is_refused_directly_and_a_local_reply_through_envoy(
    healthy_lab: Lab, tmp_path: Path
) -> None:
    healthy_lab.backend.down()
    found = await run_all(probes_for(healthy_lab, tmp_path))
    for vantage in (Vantage.JUMP, Vantage.ENVOY_HOST):
        ev = found[("backend.health", vantage)]
        assert ev.status is Status.FAIL
        assert ev.facts["error"] == "connection refused"
        assert ev.detail.endswith(": connection refused")
    through = found[("backend.health", Vantage.THROUGH_ENVOY)]
    assert through.status is Status.FAIL and through.facts["status"] == 503
    assert through.facts["local_reply"] is True and through.facts["flag"] == "UF"
    assert through.facts["reset_reason"] == "remote connection failure"
    assert through.facts["upstream_service_time"] is False
    assert "Envoy's local reply" in through.detail


async def test_slow_backend_times_out(healthy_lab: Lab, tmp_path: Path) -> None:
    healthy_lab.backend.delay = 2.0  # the probe waits 0.5 s per phase
    probe = next(p for p in probes_for(healthy_lab, tmp_path) if p.vantage is Vantage.JUMP)
    ev = await probe.run()
    assert ev.status is Status.FAIL
    assert "timeout" in str(ev.facts["error"]) and "timeout" in ev.detail


async def test_backend_error_status_through_envoy_is_the_backends_answer(
    healthy_lab: Lab, tmp_path: Path
) -> None:
    healthy_lab.backend.health_status = 500
    found = await run_all(probes_for(healthy_lab, tmp_path))
    assert found[("backend.health", Vantage.JUMP)].facts["status"] == 500
    through = found[("backend.health", Vantage.THROUGH_ENVOY)]
    assert through.status is Status.FAIL and through.facts["status"] == 500
    assert through.facts["local_reply"] is False and "from the backend" in through.detail


async def test_no_route_through_the_listener_is_envoys_404(healthy_lab: Lab) -> None:
    probe = HttpHealthProbe(
        LocalHost(), f"{healthy_lab.listener_url}/nowhere", Vantage.THROUGH_ENVOY, timeout=1.0
    )
    ev = await probe.run()
    assert ev.status is Status.FAIL and ev.facts["flag"] == "NR"


def test_without_a_public_url_the_listener_is_the_through_envoy_check(
    shared_lab: Lab, tmp_path: Path
) -> None:
    config = lab_config(shared_lab, tmp_path, site={"public_url": ""})
    names = {(p.name, p.vantage) for p in build(config, {LOCAL: LocalHost()})}
    assert ("backend.health", Vantage.THROUGH_ENVOY) in names
    assert ("envoy.listener", Vantage.THROUGH_ENVOY) not in names


def test_the_site_as_users_reach_it_is_the_one_sentinel_of_a_calm_site(
    shared_lab: Lab, tmp_path: Path
) -> None:
    public = lab_config(shared_lab, tmp_path)
    (sentinel,) = [p for p in build(public, {LOCAL: LocalHost()}) if p.sentinel]
    assert sentinel.target.startswith(public.site.public_url)
    assert sentinel.vantage is Vantage.THROUGH_ENVOY
    no_public = lab_config(shared_lab, tmp_path, site={"public_url": ""})
    (listener,) = [p for p in build(no_public, {LOCAL: LocalHost()}) if p.sentinel]
    assert listener.target.startswith(no_public.envoy.listener_url)


def test_backend_host_adds_its_own_vantage_point(shared_lab: Lab, tmp_path: Path) -> None:
    app = LocalHost("app")
    config = lab_config(
        shared_lab, tmp_path, hosts={"app": {"address": "127.0.0.1"}}, backend={"host": "app"}
    )
    probes = build(config, {LOCAL: LocalHost(), "app": app})
    (own,) = [p for p in probes if p.vantage is Vantage.BACKEND_HOST]
    assert isinstance(own, HttpHealthProbe) and own.host is app


async def test_envoy_host_over_ssh_fetches_from_its_own_side(
    healthy_lab: Lab, sshd: Sshd, tmp_path: Path
) -> None:
    edge = SshHost(sshd.host_config("edge"))
    config = lab_config(
        healthy_lab,
        tmp_path,
        hosts={"edge": {"address": "127.0.0.1"}},
        envoy={"host": "edge"},
        probes={"timeout": 2.0},
    )
    try:
        probes = build(config, {LOCAL: LocalHost(), "edge": edge})
        from_edge = [p for p in probes if p.vantage is Vantage.ENVOY_HOST]
        listener = next(p for p in probes if p.name == "envoy.listener")
        (up,) = [await p.run() for p in from_edge]
        through = await listener.run()
        healthy_lab.backend.down()
        (down,) = [await p.run() for p in from_edge]
    finally:
        await edge.close()
    assert up.status is Status.OK and up.via == "ssh direct-tcpip"
    assert up.command.startswith("ssh edge 'curl -sv")
    assert through.status is Status.OK and through.facts["upstream_service_time"] is True
    assert down.status is Status.FAIL and down.facts["error"] == "connection refused"
