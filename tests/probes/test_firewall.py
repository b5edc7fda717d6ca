"""firewall.rules with real iptables/nft inside a test's own network namespace (never the root one)."""

from __future__ import annotations

import shutil

from darc_tui.config import LOCAL, BackendConfig, Config, EnvoyConfig, HostConfig
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.model import Status, Vantage
from darc_tui.probes.firewall import FirewallProbe, Role, build
from tests.lab.netns import Netns
from tests.lab.sshd import TEST_USER, Sshd
from tests.probes._hosts import NetnsHost, NobodyHost

PORT = 18443


def backend_probe(netns: Netns, **kw: object) -> FirewallProbe:
    host = NetnsHost(netns.name)
    return FirewallProbe(host, PORT, netns.addr, Role.SERVER, Vantage.BACKEND_HOST, **kw)  # type: ignore[arg-type]


def envoy_probe(netns: Netns, address: str) -> FirewallProbe:
    return FirewallProbe(
        NetnsHost(netns.name, "edge"), PORT, address, Role.CLIENT, Vantage.ENVOY_HOST
    )


async def test_no_rules_reads_every_tool_and_is_ok(netns: Netns) -> None:
    ev = await backend_probe(netns).run()
    assert ev.status is Status.OK, ev.detail
    assert {"iptables", "nft"}.issubset(ev.facts["read"])  # type: ignore[arg-type]
    assert ev.facts["blocking"] == [] and ev.facts["needs_root"] == []
    assert ev.detail.startswith("no iptables/nft")


async def test_input_drop_on_the_backend_host_fails_with_the_rule(netns: Netns) -> None:
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"])
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(PORT), "-j", "DROP"])
    ev = await backend_probe(netns).run()
    assert ev.status is Status.FAIL
    rule = "-A INPUT -p tcp -m tcp --dport 18443 -j DROP"
    assert ev.facts["blocking"] == [f"iptables:5: {rule}"]
    assert ev.detail == f"iptables line 5 `{rule}` drops tcp/18443 to {netns.addr}"
    assert ev.target == "app: tcp/18443" and ev.vantage is Vantage.BACKEND_HOST


async def test_output_reject_on_the_envoy_host_matches_only_its_address(netns: Netns) -> None:
    netns.exec(
        [
            "iptables",
            "-A",
            "OUTPUT",
            "-d",
            "198.51.100.7/32",
            "-p",
            "tcp",
            "--dport",
            str(PORT),
            "-j",
            "REJECT",
            "--reject-with",
            "tcp-reset",
        ]
    )
    hit = await envoy_probe(netns, "198.51.100.7").run()
    assert hit.status is Status.FAIL and "rejects tcp/18443 to 198.51.100.7" in hit.detail
    miss = await envoy_probe(netns, "198.51.100.8").run()
    assert miss.status is Status.OK


async def test_an_incoming_drop_does_not_stop_the_envoy_host_connecting_out(netns: Netns) -> None:
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(PORT), "-j", "DROP"])
    ev = await envoy_probe(netns, "198.51.100.7").run()
    assert ev.status is Status.OK, ev.detail


async def test_native_nft_rule_is_found_with_its_line(netns: Netns) -> None:
    netns.exec(["nft", "add", "table", "inet", "t"])
    netns.exec(
        [
            "nft",
            "add",
            "chain",
            "inet",
            "t",
            "in",
            "{ type filter hook input priority 0; policy accept; }",
        ]
    )
    netns.exec(["nft", "add", "rule", "inet", "t", "in", "tcp", "dport", "{ 80, 18443 }", "drop"])
    ev = await backend_probe(netns).run()
    assert ev.status is Status.FAIL
    (line,) = ev.facts["blocking"]  # type: ignore[misc]
    assert line.startswith("nft:") and line.endswith("tcp dport { 80, 18443 } drop")


async def test_iptables_rules_are_not_reported_twice_through_nft(netns: Netns) -> None:
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(PORT), "-j", "DROP"])
    ev = await backend_probe(netns).run()
    assert [b.split(":")[0] for b in ev.facts["blocking"]] == ["iptables"]  # type: ignore[union-attr]


async def test_default_drop_without_an_accept_is_a_warning(netns: Netns) -> None:
    netns.exec(["iptables", "-P", "INPUT", "DROP"])
    ev = await backend_probe(netns).run()
    assert ev.status is Status.WARN
    assert (
        ev.detail
        == f"INPUT policy DROP (iptables line 1) and no rule accepts tcp/18443 to {netns.addr}"
    )
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(PORT), "-j", "ACCEPT"])
    assert (await backend_probe(netns).run()).status is Status.OK


async def test_without_root_the_firewall_is_unknown_not_ok() -> None:
    probe = FirewallProbe(NobodyHost(), PORT, "127.0.0.1", Role.BOTH, Vantage.ENVOY_HOST)
    ev = await probe.run()
    assert ev.status is Status.UNKNOWN
    assert ev.detail.startswith("needs root to read iptables, nft")
    assert "set sudo = true for edge" in ev.detail


async def test_sudo_is_used_when_configured() -> None:
    probe = FirewallProbe(NobodyHost(), PORT, "127.0.0.1", Role.BOTH, Vantage.ENVOY_HOST, sudo=True)
    assert probe.command.startswith("sudo -n iptables -S; sudo -n nft list ruleset")
    ev = await probe.run()
    if shutil.which("sudo") is None:
        assert ev.status is Status.ERROR and "sudo is not installed" in ev.detail
    else:  # nobody has no sudoers entry: sudo -n says a password is required
        assert ev.status is Status.UNKNOWN and "needs root" in ev.detail


async def test_reads_over_ssh_as_root_and_not_as_a_plain_user(sshd: Sshd) -> None:
    root = SshHost(sshd.host_config("edge"))
    user = SshHost(sshd.host_config("edge", user=TEST_USER))
    try:
        as_root = await FirewallProbe(
            root, PORT, "192.0.2.1", Role.CLIENT, Vantage.ENVOY_HOST, timeout=5
        ).run()
        as_user = await FirewallProbe(
            user, PORT, "192.0.2.1", Role.CLIENT, Vantage.ENVOY_HOST, timeout=5
        ).run()
    finally:
        await root.close()
        await user.close()
    assert as_root.status in (Status.OK, Status.WARN, Status.FAIL), as_root.detail
    assert "iptables" in as_root.facts["read"]  # type: ignore[operator]
    assert as_user.status is Status.UNKNOWN and "needs root" in as_user.detail


def test_build_reads_the_envoy_host_and_the_backend_host() -> None:
    config = Config(
        hosts={"app": HostConfig("app", address="192.0.2.10", sudo=True)},
        envoy=EnvoyConfig(host=LOCAL),
        backend=BackendConfig(host="app", url="http://[2001:db8::5]:18443"),
    )
    probes = build(config, {LOCAL: LocalHost(), "app": LocalHost("app")})
    by_vantage = {p.vantage: p for p in probes}
    envoy, app = by_vantage[Vantage.ENVOY_HOST], by_vantage[Vantage.BACKEND_HOST]
    assert isinstance(envoy, FirewallProbe) and isinstance(app, FirewallProbe)
    assert (envoy.role, envoy.sudo, app.role, app.sudo) == (Role.CLIENT, False, Role.SERVER, True)
    assert "ip6tables -S" in envoy.command  # an IPv6 backend address


def test_loopback_backend_is_both_client_and_server_on_the_envoy_host() -> None:
    config = Config(backend=BackendConfig(url="http://127.0.0.1:18443"))
    (probe,) = build(config, {LOCAL: LocalHost()})
    assert isinstance(probe, FirewallProbe) and probe.role == Role.BOTH
