"""backend.tcp: a plain TCP connect from the Envoy host, locally, over SSH, and through a firewall."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from darc_tui.config import LOCAL, BackendConfig, Config
from darc_tui.demo.backend import Backend
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.model import Status, Vantage
from darc_tui.probes.tcp import BackendTcpProbe, build
from tests.lab.lab import free_port
from tests.lab.netns import Netns
from tests.lab.sshd import Sshd


async def test_listening_backend_connects(backend: Backend) -> None:
    ev = await BackendTcpProbe(LocalHost(), "127.0.0.1", backend.port, timeout=1.0).run()
    assert ev.status is Status.OK and ev.facts["ok"] is True
    assert ev.vantage is Vantage.ENVOY_HOST
    assert ev.command == f"nc -zv -w 1 127.0.0.1 {backend.port}"
    assert ev.detail.startswith(f"connect 127.0.0.1:{backend.port} from local: connected")


async def test_closed_port_is_refused() -> None:
    port = free_port()
    ev = await BackendTcpProbe(LocalHost(), "127.0.0.1", port, timeout=1.0).run()
    assert ev.status is Status.FAIL
    assert ev.facts["error"] == "refused" and ev.detail.endswith("connection refused")


async def test_dropped_syn_times_out(netns: Netns) -> None:
    url = netns.start_backend(18443)
    assert url.endswith(":18443")
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "18443", "-j", "DROP"])
    ev = await BackendTcpProbe(LocalHost(), netns.addr, 18443, timeout=0.5).run()
    assert ev.status is Status.FAIL and ev.facts["error"] == "timeout"
    assert ev.detail.endswith("connect timed out after 0.5 s")


@pytest.fixture
async def edge(sshd: Sshd) -> AsyncIterator[SshHost]:
    host = SshHost(sshd.host_config("edge"))
    try:
        yield host
    finally:
        await host.close()


async def test_connect_from_an_ssh_envoy_host(edge: SshHost, backend: Backend) -> None:
    ok = await BackendTcpProbe(edge, "127.0.0.1", backend.port, timeout=2.0).run()
    assert ok.status is Status.OK and ok.via == "ssh direct-tcpip"
    assert ok.command.startswith("ssh edge ")
    backend.down()
    refused = await BackendTcpProbe(edge, "127.0.0.1", backend.port, timeout=2.0).run()
    assert refused.status is Status.FAIL and refused.facts["error"] == "refused"


def test_build_targets_the_backend_url_from_the_envoy_host() -> None:
    config = Config(backend=BackendConfig(url="http://[::1]:18443"))
    (probe,) = build(config, {LOCAL: LocalHost()})
    assert probe.target == "[::1]:18443"
    assert build(config, {}) == []
