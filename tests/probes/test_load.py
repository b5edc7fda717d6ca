"""host.load on real hosts: this machine, a non-root login over SSH, and garbage from a host."""

from __future__ import annotations

import os

from darc_tui.config import LOCAL, BackendConfig, Config, EnvoyConfig, HostConfig
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.model import Status, Vantage
from darc_tui.parse.host_load import HostLoad
from darc_tui.probes.load import HostLoadProbe, build
from tests.lab.sshd import TEST_USER, Sshd


async def test_local_load_matches_this_machine() -> None:
    ev = await HostLoadProbe(LocalHost(), Vantage.BACKEND_HOST).run()
    assert ev.status in (Status.OK, Status.WARN), ev.detail
    assert ev.facts["cpus"] == os.cpu_count()
    assert isinstance(ev.facts["load1"], float) and ev.facts["mem_total_mb"]
    assert ev.detail.startswith("load ") and f"on {os.cpu_count()} CPUs" in ev.detail
    assert ev.command == "cat /proc/loadavg /proc/meminfo; nproc"


async def test_load_over_ssh_needs_no_root(sshd: Sshd) -> None:
    host = SshHost(sshd.host_config("app", user=TEST_USER))
    try:
        ev = await HostLoadProbe(host, Vantage.BACKEND_HOST, timeout=5.0).run()
    finally:
        await host.close()
    assert ev.status in (Status.OK, Status.WARN), ev.detail
    assert ev.facts["cpus"] == os.cpu_count()
    assert ev.command.startswith("ssh app ")


def test_saturated_host_warns() -> None:
    probe = HostLoadProbe(LocalHost(), Vantage.BACKEND_HOST)
    busy = HostLoad(9.5, 8.0, 4.0, 12, 300, 4, 8_000_000, 6_000_000)
    ev = probe.judge(busy)
    assert ev.status is Status.WARN and "saturated: 2.4 runnable per CPU" in ev.detail
    calm = probe.judge(HostLoad(0.5, 0.4, 0.3, 1, 100, 4, 8_000_000, 6_000_000))
    assert calm.status is Status.OK and calm.facts["mem_used_pct"] == 25.0


async def test_missing_proc_files_are_an_error() -> None:
    class NoProc(LocalHost):
        async def run(self, argv, *, timeout, input=None):  # type: ignore[no-untyped-def]
            return await super().run(["cat", "/nonexistent/loadavg"], timeout=timeout)

    ev = await HostLoadProbe(NoProc(), Vantage.ENVOY_HOST).run()
    assert ev.status is Status.ERROR and "No such file" in ev.detail


def test_build_covers_the_backend_host_and_the_envoy_host() -> None:
    config = Config(
        hosts={"app": HostConfig("app")},
        envoy=EnvoyConfig(host=LOCAL),
        backend=BackendConfig(host="app", url="http://192.0.2.1:80"),
    )
    hosts = {LOCAL: LocalHost(), "app": LocalHost("app")}
    assert {(p.target, p.vantage) for p in build(config, hosts)} == {
        ("app (backend-host)", Vantage.BACKEND_HOST),
        ("local (envoy-host)", Vantage.ENVOY_HOST),
    }
    same = Config(backend=BackendConfig(host=LOCAL, url="http://127.0.0.1:80"))
    assert [p.vantage for p in build(same, {LOCAL: LocalHost()})] == [Vantage.BACKEND_HOST]
