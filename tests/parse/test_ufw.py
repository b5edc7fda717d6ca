"""`ufw status` scanning against outputs recorded from ufw running inside a network namespace."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.firewall import Direction, Side
from darc_tui.parse.ufw import scan_ufw

DATA = Path(__file__).resolve().parents[1] / "data" / "host"


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def test_inactive_ufw_blocks_nothing() -> None:
    scan = scan_ufw(recorded("ufw_status_verbose_inactive.txt"), 18443)
    assert not scan.active and scan.rules == () and scan.error == ""


def test_verbose_status_rules_for_ipv4() -> None:
    scan = scan_ufw(recorded("ufw_status_verbose_active.txt"), 18443, "198.18.0.2")
    assert [(r.line, r.action, r.side) for r in scan.rules] == [
        (9, "drop", Side.DPORT),
        (10, "drop", Side.DPORT),  # 18000:19000/tcp from 10.200.0.0/24
        (23, "reject", Side.DPORT),
    ]
    assert scan.rules[2].directions == frozenset({Direction.OUT})
    assert scan.rules[2].blocks_client() and not scan.rules[0].blocks_client()
    assert scan.rules[0].text.startswith("18443/tcp")


def test_v6_twins_apply_to_ipv6_only() -> None:
    scan = scan_ufw(recorded("ufw_status_verbose_active.txt"), 18443, "fd00:200::2")
    assert [r.line for r in scan.rules] == [17, 25]


def test_defaults_are_policies_with_allow_rules_counted() -> None:
    deny = scan_ufw(recorded("ufw_status_verbose_active.txt"), 18443, "198.18.0.2")
    assert {(p.direction, p.port_accepted) for p in deny.policies} == {
        (Direction.IN, False),
        (Direction.OUT, False),
    }
    ssh = scan_ufw(recorded("ufw_status_verbose_active.txt"), 22, "198.18.0.2")
    assert {(p.direction, p.port_accepted) for p in ssh.policies} == {
        (Direction.IN, True),
        (Direction.OUT, False),
    }


def test_numbered_and_plain_forms_find_the_same_rules() -> None:
    numbered = scan_ufw(recorded("ufw_status_numbered.txt"), 18443, "198.18.0.2")
    plain = scan_ufw(recorded("ufw_status_active.txt"), 18443, "198.18.0.2")
    assert len(numbered.rules) == len(plain.rules) == 3
    assert {r.action for r in numbered.rules} == {"drop", "reject"}


def test_outgoing_rule_with_an_address_matches_that_network_only() -> None:
    text = recorded("ufw_status_verbose_active.txt")
    assert [r.line for r in scan_ufw(text, 8080, "192.168.7.9").rules] == [24]
    assert scan_ufw(text, 8080, "10.1.1.1").rules == ()


def test_rules_for_any_protocol_and_port_lists() -> None:
    text = recorded("ufw_status_verbose_active.txt")
    assert [r.line for r in scan_ufw(text, 9443, "198.18.0.2").rules] == [13]
    assert [r.line for r in scan_ufw(text, 443, "198.18.0.2").rules] == [14]
    assert scan_ufw(text, 53, "198.18.0.2").rules == ()  # 53/udp


def test_non_root_message_is_an_error() -> None:
    scan = scan_ufw(recorded("ufw_status_nonroot.stderr"), 18443)
    assert scan.error == "not ufw status output: ERROR: You need to be root to run this script"


@settings(max_examples=300)
@given(st.text(max_size=400), st.integers(0, 65535))
def test_garbage_never_raises(text: str, port: int) -> None:
    scan_ufw(text, port, "10.0.0.1")


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "Status: active",
                "--",
                "18443/tcp",
                "DENY",
                "IN",
                "OUT",
                "REJECT",
                "ALLOW",
                "Anywhere",
                "(v6)",
                "10.0.0.0/8",
                "1:2/tcp",
                "[ 1]",
                "on",
                "lo",
                "  ",
                "\n",
                "Default: deny (incoming)",
                "OpenSSH",
                "::1",
            ]
        ),
        max_size=40,
    ),
    st.sampled_from(["", "10.1.1.1", "::1"]),
)
def test_near_miss_status_never_raises(tokens: list[str], address: str) -> None:
    scan_ufw(" ".join(tokens), 18443, address)
