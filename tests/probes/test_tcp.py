"""backend.tcp and endpoint.tcp: plain TCP connects from the Envoy host, to the backend URL and to
every host Envoy's cluster has, locally, over SSH, and through a firewall."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from darc_tui.config import LOCAL, BackendConfig, Config
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_yaml import Endpoint
from darc_tui.hosts.base import Host
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.model import Evidence, Status, Vantage
from darc_tui.probes.tcp import BackendTcpProbe, EndpointTcpProbe, build
from tests.lab.envoy import MakeLab
from tests.lab.lab import Lab, free_port
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


def test_build_targets_the_backend_url_and_the_clusters_hosts_from_the_envoy_host() -> None:
    config = Config(backend=BackendConfig(url="http://[::1]:18443"))
    backend, endpoints = build(config, {LOCAL: LocalHost()})
    assert backend.target == "[::1]:18443"
    assert (endpoints.name, endpoints.target) == ("endpoint.tcp", "backend_cluster")
    assert endpoints.vantage is Vantage.ENVOY_HOST
    assert build(config, {}) == []


# ---------------------------------------------------------------------------------------------
# endpoint.tcp: every host the running Envoy's cluster has (admin /clusters)


async def per_host(host: Host, lab: Lab, **kw: object) -> tuple[dict[str, Evidence], Evidence]:
    """The probe's evidence by target, and the cluster's summary (always last)."""
    probe = EndpointTcpProbe(host, lab.admin_url, lab.spec.cluster_name, timeout=0.5, **kw)
    found = await probe.run_all()
    assert found[-1].target == lab.spec.cluster_name
    return {ev.target: ev for ev in found[:-1]}, found[-1]


async def test_one_of_two_hosts_down_is_refused_by_name(
    make_lab: MakeLab, backend: Backend
) -> None:
    with Backend() as second:
        lab = make_lab(
            endpoints=(Endpoint("127.0.0.1", backend.port), Endpoint("127.0.0.1", second.port))
        )
        second.down()
        hosts, summary = await per_host(LocalHost(), lab)
    up, down = f"127.0.0.1:{backend.port}", f"127.0.0.1:{second.port}"
    assert set(hosts) == {up, down}
    assert hosts[up].status is Status.OK and hosts[up].facts["ok"] is True
    assert hosts[down].status is Status.FAIL and hosts[down].facts["error"] == "refused"
    assert hosts[down].vantage is Vantage.ENVOY_HOST
    assert hosts[down].command == f"nc -zv -w 1 127.0.0.1 {second.port}"
    assert summary.status is Status.FAIL and summary.facts["failing"] == [down]
    assert f"{down} connection refused" in summary.detail


async def test_a_wrong_port_in_the_cluster_is_refused_while_the_backend_listens(
    make_lab: MakeLab,
) -> None:
    wrong = free_port()
    lab = make_lab(healthy=False, endpoints=(Endpoint("127.0.0.1", wrong),))
    hosts, summary = await per_host(LocalHost(), lab)
    assert list(hosts) == [f"127.0.0.1:{wrong}"]
    assert hosts[f"127.0.0.1:{wrong}"].detail.endswith("connection refused")
    assert summary.facts["endpoints"] == [f"127.0.0.1:{wrong}"]


async def test_hosts_behind_a_drop_rule_time_out(make_lab: MakeLab, netns: Netns) -> None:
    netns.start_backend(18443)
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "18443", "-j", "DROP"])
    lab = make_lab(healthy=False, endpoints=(Endpoint(netns.addr, 18443),))
    hosts, _ = await per_host(LocalHost(), lab)
    dropped = hosts[f"{netns.addr}:18443"]
    assert dropped.status is Status.FAIL and dropped.facts["error"] == "timeout"


async def test_at_most_limit_hosts_are_checked_per_round(
    make_lab: MakeLab, backend: Backend
) -> None:
    ports = (backend.port, free_port(), free_port())
    lab = make_lab(healthy=False, endpoints=tuple(Endpoint("127.0.0.1", p) for p in ports))
    hosts, summary = await per_host(LocalHost(), lab, limit=2)
    assert len(hosts) == 2 and summary.facts["total"] == 3 and summary.facts["checked"] == 2
    assert "(first 2 of 3)" in summary.detail


async def test_unreachable_admin_is_one_error_for_the_cluster() -> None:
    probe = EndpointTcpProbe(LocalHost(), f"http://127.0.0.1:{free_port()}", "backend_cluster")
    (only,) = await probe.run_all()
    assert only.target == "backend_cluster" and only.status is Status.ERROR
    assert "cannot list the hosts of backend_cluster" in only.detail
    assert "connection refused" in only.detail


async def test_hosts_are_listed_and_connected_from_an_ssh_envoy_host(
    edge: SshHost, make_lab: MakeLab
) -> None:
    lab = make_lab()
    hosts, summary = await per_host(edge, lab)
    (ev,) = hosts.values()
    assert ev.status is Status.OK and ev.via == "ssh direct-tcpip"
    assert ev.command.startswith("ssh edge ") and summary.status is Status.OK
