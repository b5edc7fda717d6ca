"""Every process/network probe against a healthy lab: a healthy system raises no alarm."""

from __future__ import annotations

from pathlib import Path

from darc_tui.config import LOCAL
from darc_tui.hosts.local import LocalHost
from darc_tui.model import Status
from darc_tui.probes import backend_health, cors, firewall, health_check, load, process, tcp
from tests.lab.envoy import MakeLab
from tests.probes._hosts import lab_config

MODULES = (process, backend_health, tcp, health_check, cors, firewall, load)


async def test_healthy_lab_is_ok_everywhere(make_lab: MakeLab, tmp_path: Path) -> None:
    lab = make_lab()
    config = lab_config(lab, tmp_path, backend={"host": LOCAL})
    hosts = {LOCAL: LocalHost()}
    probes = [probe for module in MODULES for probe in module.build(config, hosts)]
    found = {(ev.probe, ev.target): ev for p in probes for ev in await p.run_all()}
    names = {name for name, _ in found}
    assert names == {
        "envoy.process",
        "envoy.ports",
        "backend.health",
        "envoy.listener",
        "backend.tcp",
        "endpoint.tcp",
        "envoy.hc_request",
        "cors.preflight",
        "firewall.rules",
        "host.load",
    }
    # the machine's load depends on whatever else runs; it must still be read
    loads = [ev for (name, _), ev in found.items() if name == "host.load"]
    assert all(ev.status in (Status.OK, Status.WARN) for ev in loads)
    not_ok = {
        key: ev.detail
        for key, ev in found.items()
        if key[0] != "host.load" and ev.status is not Status.OK
    }
    assert not_ok == {}
    endpoint = f"127.0.0.1:{lab.backend.port}"  # every per-host probe checked the one host
    assert {("endpoint.tcp", endpoint), ("envoy.hc_request", endpoint)} <= set(found)
    for ev in found.values():
        assert ev.detail and ev.command
        assert all(
            isinstance(v, str | int | float | bool | list | type(None)) for v in ev.facts.values()
        )
