"""envoy.process and envoy.ports against a real Envoy: psutil locally, ps and ss over real SSH."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from darc_tui.config import LOCAL
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_yaml import EnvoySpec, render
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.model import Status, Vantage
from darc_tui.probes.process import (
    EnvoyPortsProbe,
    EnvoyProcessProbe,
    build,
    uptime_text,
    url_endpoint,
)
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab, free_port, wait_for
from tests.lab.sshd import TEST_USER, Sshd
from tests.probes._hosts import NobodyHost, lab_config


@pytest.fixture(scope="module")
def shared_lab(make_module_lab: MakeLab) -> Lab:
    return make_module_lab()


@pytest.fixture
async def edge(sshd: Sshd) -> AsyncIterator[SshHost]:
    host = SshHost(sshd.host_config("edge"))
    try:
        yield host
    finally:
        await host.close()


async def test_local_envoy_is_found_with_its_config_path(shared_lab: Lab, tmp_path: Path) -> None:
    probes = build(lab_config(shared_lab, tmp_path), {LOCAL: LocalHost()})
    process = next(p for p in probes if p.name == "envoy.process")
    ev = await process.run()
    assert ev.status is Status.OK, ev.detail
    assert ev.vantage is Vantage.ENVOY_HOST and ev.via == "psutil"
    assert ev.facts["running"] is True and ev.facts["pid"] == shared_lab.envoy.pid
    assert ev.facts["config_path"] == str(shared_lab.yaml_path)
    assert ev.facts["config_matches"] is True
    assert f"envoy pid {shared_lab.envoy.pid} up " in ev.detail


async def test_envoy_is_found_over_ssh_with_ps(shared_lab: Lab, edge: SshHost) -> None:
    probe = EnvoyProcessProbe(edge, str(shared_lab.yaml_path), timeout=5.0)
    ev = await probe.run()
    assert ev.status is Status.OK and ev.via == "ps", ev.detail
    assert ev.facts["pid"] == shared_lab.envoy.pid
    assert ev.command.startswith("ssh edge 'ps -ww -eo pid,ppid,etimes,args'")


async def test_other_config_path_is_a_warning_naming_both(shared_lab: Lab) -> None:
    ev = await EnvoyProcessProbe(LocalHost(), "/etc/envoy/other.yaml").run()
    assert ev.status is Status.WARN and ev.facts["config_matches"] is False
    assert "not the configured /etc/envoy/other.yaml" in ev.detail


async def test_no_matching_binary_means_not_running() -> None:
    ev = await EnvoyProcessProbe(LocalHost(), "/e.yaml", binary="/opt/none/edge-proxy").run()
    assert ev.status is Status.FAIL and ev.facts["running"] is False
    assert ev.detail.startswith("no Envoy process on local")


async def test_listener_and_admin_ports_are_bound_by_envoy(shared_lab: Lab, tmp_path: Path) -> None:
    probes = build(lab_config(shared_lab, tmp_path), {LOCAL: LocalHost()})
    ports = next(p for p in probes if p.name == "envoy.ports")
    ev = await ports.run()
    assert ev.status is Status.OK, ev.detail
    assert ev.facts["listener_bound"] is True and ev.facts["admin_bound"] is True
    assert ev.facts["admin_owner"] == f"envoy pid {shared_lab.envoy.pid}"
    assert shared_lab.spec.listener_port in ev.facts["listening_ports"]  # type: ignore[operator]
    assert ev.command == "ss -tlnpH"


async def test_unbound_listener_port_fails(shared_lab: Lab) -> None:
    port = free_port()
    expected = [("listener", "127.0.0.1", port), ("admin", "127.0.0.1", shared_lab.spec.admin_port)]
    ev = await EnvoyPortsProbe(LocalHost(), expected).run()
    assert ev.status is Status.FAIL and ev.facts["listener_bound"] is False
    assert ev.detail.startswith(f"listener 127.0.0.1:{port} not bound")


async def test_port_held_by_another_process_fails(backend: Backend) -> None:
    ev = await EnvoyPortsProbe(LocalHost(), [("listener", "127.0.0.1", backend.port)]).run()
    assert ev.status is Status.FAIL
    assert "bound by python" in ev.detail and ev.detail.endswith("not Envoy")


async def test_without_root_the_owner_is_hidden(shared_lab: Lab) -> None:
    expected = [("admin", "127.0.0.1", shared_lab.spec.admin_port)]
    ev = await EnvoyPortsProbe(NobodyHost(), expected).run()
    assert ev.status is Status.OK and ev.facts["admin_bound"] is True
    assert ev.facts["needs_root_for_owner"] is True
    assert "owner hidden: needs root" in ev.detail


async def test_non_root_ssh_login_sees_ports_but_not_owners(shared_lab: Lab, sshd: Sshd) -> None:
    host = SshHost(sshd.host_config("edge", user=TEST_USER))
    try:
        expected = [("listener", "127.0.0.1", shared_lab.spec.listener_port)]
        ev = await EnvoyPortsProbe(host, expected, timeout=5.0).run()
    finally:
        await host.close()
    assert ev.status is Status.OK and ev.facts["owners_visible"] is False


def test_url_endpoints_and_uptime_wording() -> None:
    assert url_endpoint("http://127.0.0.1:9901") == ("127.0.0.1", 9901)
    assert url_endpoint("https://[::1]/x") == ("::1", 443)
    assert url_endpoint("http://edge.internal:8080") == ("", 8080)
    assert uptime_text(42) == "42s" and uptime_text(3725) == "1h2m" and uptime_text(None) == "?"
    assert uptime_text(90061) == "1d1h"


@pytest.fixture
def wrapped_envoy(
    tmp_path: Path, envoy_binary: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A real Envoy started by `darc-tui envoy-wrapper` (python -m darc_tui.actions.wrapper)."""
    spec = EnvoySpec(admin_port=free_port(), listener_port=free_port(), access_log_path="")
    config = tmp_path / "envoy.yaml"
    config.write_text(render(spec))
    argv = [sys.executable, "-m", "darc_tui.actions.wrapper", "--pid-file", str(tmp_path / "w.pid")]
    argv += [
        "--term-wait",
        "3",
        "--",
        str(envoy_binary),
        "-c",
        str(config),
        "--concurrency",
        "1",
        "-l",
        "warning",
    ]
    log = (tmp_path / "wrapper.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: _admin_up(spec.admin_url) or proc.poll() is not None, 20, "Envoy admin")
        yield proc, config
    finally:
        proc.terminate()  # the wrapper stops its Envoy and removes its hot-restart memory
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def _admin_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=1, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


async def test_envoy_under_the_darc_wrapper_names_the_wrapper(
    wrapped_envoy: tuple[subprocess.Popen[bytes], Path],
) -> None:
    wrapper, config = wrapped_envoy
    assert wrapper.poll() is None
    ev = await EnvoyProcessProbe(LocalHost(), str(config)).run()
    assert ev.status is Status.OK, ev.detail
    assert ev.facts["wrapper_pid"] == wrapper.pid and ev.facts["restart_epoch"] == 0
    assert f"hot-restart wrapper pid {wrapper.pid}" in ev.detail


async def test_unreachable_envoy_host_is_an_error_not_a_verdict(sshd: Sshd) -> None:
    sshd.stop()
    host = SshHost(sshd.host_config("edge"))
    try:
        process = await EnvoyProcessProbe(host, "/etc/envoy/envoy.yaml", timeout=2.0).run()
        ports = await EnvoyPortsProbe(host, [("admin", "127.0.0.1", 9901)], timeout=2.0).run()
    finally:
        await host.close()
    assert process.status is Status.ERROR and process.detail.startswith("ps failed: host down")
    assert ports.status is Status.ERROR and ports.detail.startswith("ss failed: host down")
