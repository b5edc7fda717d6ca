"""iptables -S scanning against rule sets recorded inside a throw-away network namespace."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.firewall import (
    Direction,
    Side,
    address_in_spec,
    port_in_spec,
    scan_iptables,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "host"


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def lines_of(scan) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.line for r in scan.rules]


def test_empty_ruleset_blocks_nothing_and_drops_by_no_policy() -> None:
    scan = scan_iptables(recorded("iptables_S_empty.txt"), 18443, "10.200.0.2")
    assert scan.rules == () and scan.policies == () and scan.error == ""


def test_dport_multiport_negation_sport_and_user_chain_rules_are_found() -> None:
    scan = scan_iptables(recorded("iptables_S_rules.txt"), 18443, "10.200.0.2")
    assert lines_of(scan) == [6, 8, 9, 10, 11, 13, 17]
    by_line = {r.line: r for r in scan.rules}
    assert by_line[6].text == "-A INPUT -p tcp -m tcp --dport 18443 -j DROP"
    assert by_line[8].action == "reject" and by_line[8].side is Side.DPORT  # 18000:19000
    assert by_line[9].side is Side.ALL  # -s 10.0.0.0/8 drops every port
    assert by_line[10].side is Side.DPORT  # ! --dport 22
    assert by_line[11].side is Side.SPORT
    assert by_line[17].chain == "BLOCK_BACKEND"
    assert by_line[17].directions == frozenset({Direction.OUT})  # reached by a jump from OUTPUT


def test_destination_address_narrows_output_rules() -> None:
    scan = scan_iptables(recorded("iptables_S_rules.txt"), 18443, "192.168.7.9")
    assert 14 in lines_of(scan) and 13 not in lines_of(scan)


def test_udp_rules_and_other_ports_are_ignored() -> None:
    scan = scan_iptables(recorded("iptables_S_rules.txt"), 18443)
    assert 7 not in lines_of(scan)  # -p udp --dport 18443
    assert 16 not in lines_of(scan)  # --dport 8080
    assert 12 not in lines_of(scan)  # LOG is not a verdict


def test_envoy_host_view_keeps_outgoing_and_reply_rules() -> None:
    scan = scan_iptables(recorded("iptables_S_rules.txt"), 18443, "10.200.0.2")
    client = [r.line for r in scan.rules if r.blocks_client()]
    server = [r.line for r in scan.rules if r.blocks_server()]
    assert client == [9, 11, 13, 17]  # OUTPUT dport, INPUT sport (replies), broad INPUT drop
    assert server == [6, 8, 9, 10]


def test_output_policy_drop_without_an_accept_is_noted() -> None:
    scan = scan_iptables(recorded("iptables_S_rules.txt"), 18443, "10.200.0.2")
    (policy,) = scan.policies
    assert (policy.chain, policy.policy, policy.line, policy.port_accepted) == (
        "OUTPUT",
        "drop",
        3,
        False,
    )


def test_ufw_generated_chains_report_user_rules_not_its_housekeeping_drops() -> None:
    scan = scan_iptables(recorded("iptables_S_ufw.txt"), 18443, "198.18.0.2")
    assert lines_of(scan) == [98, 99, 111]
    assert scan.rules[0].directions == frozenset({Direction.IN})
    assert scan.rules[2].directions == frozenset({Direction.OUT})


def test_ufw_policy_drop_is_accepted_for_an_allowed_port_through_jumps() -> None:
    ssh = {
        p.chain: p.port_accepted
        for p in scan_iptables(recorded("iptables_S_ufw.txt"), 22, "198.18.0.2").policies
    }
    assert ssh == {"INPUT": True, "FORWARD": False, "OUTPUT": False}


def test_loopback_traffic_is_accepted_by_ufw_lo_rules() -> None:
    scan = scan_iptables(recorded("iptables_S_ufw.txt"), 18443, "127.0.0.1")
    accepted = {p.chain: p.port_accepted for p in scan.policies}
    assert accepted["INPUT"] and accepted["OUTPUT"]


def test_ip6tables_rules_apply_to_ipv6_addresses_only() -> None:
    text = recorded("ip6tables_S_rules.txt")
    v6 = scan_iptables(text, 18443, "fd00:200::2", tool="ip6tables")
    assert [r.line for r in v6.rules] == [4, 6]
    assert v6.policies[0].chain == "INPUT"
    assert scan_iptables(text, 18443, "10.200.0.2", tool="ip6tables").rules == ()
    assert scan_iptables(text, 18443, "backend.internal", tool="ip6tables").rules


def test_permission_error_text_is_an_error_not_an_empty_firewall() -> None:
    scan = scan_iptables(recorded("iptables_S_nonroot.stderr"), 18443)
    assert scan.error.startswith("not iptables -S output: iptables v1.8.9")


def test_port_specs() -> None:
    assert port_in_spec("18443", 18443)
    assert port_in_spec("80,443,18000:19000", 18443)
    assert port_in_spec("18000-19000", 18443)
    assert port_in_spec(":1024", 80) and not port_in_spec(":1024", 18443)
    assert port_in_spec("1024:", 18443)
    assert port_in_spec("{ 80, 18443 }", 18443)
    assert port_in_spec("http", 80) is None


def test_address_specs() -> None:
    assert address_in_spec("10.0.0.0/8", "10.200.0.2")
    assert address_in_spec("10.200.0.2/32", "10.200.0.3") is False
    assert address_in_spec("fd00::/8", "10.200.0.2") is False
    assert address_in_spec("backend.internal", "10.200.0.2") is None
    assert address_in_spec("10.0.0.0/8", "") is None


@settings(max_examples=300)
@given(st.text(max_size=400), st.integers(0, 65535))
def test_garbage_never_raises(text: str, port: int) -> None:
    scan_iptables(text, port, "10.0.0.1")


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "-A",
                "INPUT",
                "-P",
                "DROP",
                "!",
                "-p",
                "tcp",
                "--dport",
                "18443",
                "--dports",
                "1:",
                "-d",
                "10.0.0.0/8",
                "-j",
                "REJECT",
                "-m",
                "multiport",
                "'",
                '"',
                "-i",
                "lo",
                "X:Y",
            ]
        ),
        max_size=14,
    ),
    st.sampled_from(["", "10.1.1.1", "::1", "127.0.0.1", "name"]),
)
def test_near_miss_rules_never_raise(tokens: list[str], address: str) -> None:
    scan_iptables(" ".join(tokens) + "\n" + " ".join(reversed(tokens)), 18443, address)
