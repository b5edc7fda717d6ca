"""`nft list ruleset` scanning against a ruleset recorded inside a throw-away network namespace."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from darc_tui.parse.firewall import Direction, Side
from darc_tui.parse.nft import iptables_managed_tables, iptables_tables, scan_nft

DATA = Path(__file__).resolve().parents[1] / "data" / "host"
MANAGED = frozenset({("ip", "filter"), ("ip6", "filter")})


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def test_native_inet_table_rules_are_found_with_line_numbers() -> None:
    scan = scan_nft(recorded("nft_list_ruleset.txt"), 18443, "10.200.0.2", MANAGED)
    assert [r.line for r in scan.rules] == [45, 46, 49, 54, 57, 62]
    by_line = {r.line: r for r in scan.rules}
    assert by_line[45].text == "tcp dport 18443 drop"
    assert by_line[46].action == "reject"  # { 80, 443, 18000-19000 }
    assert by_line[49].side is Side.DPORT  # != 22
    assert by_line[57].side is Side.SPORT  # output sport: the server side of replies
    assert by_line[57].blocks_server() and not by_line[57].blocks_client()
    assert by_line[62].chain == "inet darc_test blockers"
    assert by_line[62].directions == frozenset({Direction.OUT})
    assert scan.error == ""


def test_daddr_and_family_narrow_rules() -> None:
    v4 = scan_nft(recorded("nft_list_ruleset.txt"), 18443, "192.168.7.9", MANAGED)
    assert 55 in [r.line for r in v4.rules] and 54 not in [r.line for r in v4.rules]
    v6 = scan_nft(recorded("nft_list_ruleset.txt"), 18443, "fd00:200::2", MANAGED)
    assert 56 in [r.line for r in v6.rules] and 55 not in [r.line for r in v6.rules]


def test_udp_and_accept_rules_are_not_blocking() -> None:
    lines = [r.line for r in scan_nft(recorded("nft_list_ruleset.txt"), 18443).rules]
    assert 47 not in lines and 48 not in lines


def test_iptables_nft_tables_are_read_when_not_skipped() -> None:
    scan = scan_nft(recorded("nft_list_ruleset.txt"), 18443, "10.200.0.2")
    assert {3, 9, 19}.issubset({r.line for r in scan.rules})
    assert scan.rules[0].chain == "ip filter BLOCK_BACKEND"


def test_policy_drop_chains_are_listed() -> None:
    scan = scan_nft(recorded("nft_list_ruleset.txt"), 18443, "10.200.0.2", MANAGED)
    (policy,) = scan.policies
    assert (policy.chain, policy.direction, policy.line, policy.port_accepted) == (
        "inet darc_test output",
        Direction.OUT,
        53,
        False,
    )


def test_handles_from_nft_a_are_stripped() -> None:
    scan = scan_nft(recorded("nft_a_list_ruleset.txt"), 18443, "10.200.0.2", MANAGED)
    assert "tcp dport 18443 drop" in [r.text for r in scan.rules]


def test_iptables_managed_tables_from_the_warning() -> None:
    warning = "# Warning: table ip filter is managed by iptables-nft, do not touch!\n"
    assert iptables_managed_tables(warning) == frozenset({("ip", "filter")})


def test_iptables_nft_tables_are_recognised_by_their_upper_case_chains() -> None:
    assert iptables_tables(recorded("nft_list_ruleset.txt")) == MANAGED
    native = "table ip filter {\n    chain input {\n        tcp dport 1 drop\n    }\n}\n"
    assert iptables_tables(native) == frozenset()


def test_named_set_and_accepting_rule() -> None:
    text = """table inet f {
    set blocked {
        type inet_service
        elements = { 8080,
                 18443 }
    }

    chain input {
        type filter hook input priority filter; policy drop;
        tcp dport 22 accept
        tcp dport @blocked drop
    }
}
"""
    scan = scan_nft(text, 18443)
    assert [r.line for r in scan.rules] == [11]
    assert scan.policies[0].port_accepted is False
    ssh = scan_nft(text, 22)
    assert ssh.rules == () and ssh.policies[0].port_accepted


def test_conditional_portless_drop_is_not_blocking_but_plain_one_is() -> None:
    text = """table ip f {
    chain input {
        type filter hook input priority 0; policy accept;
        ct state invalid drop
        ip saddr 10.9.0.0/16 drop
    }
}
"""
    assert [r.line for r in scan_nft(text, 18443, "10.1.1.1").rules] == [5]


def test_permission_error_is_an_error() -> None:
    scan = scan_nft(recorded("nft_list_ruleset_nonroot.stderr"), 18443)
    assert scan.error.startswith("not nft ruleset output: Operation not permitted")


@settings(max_examples=300)
@given(st.text(max_size=400), st.integers(0, 65535))
def test_garbage_never_raises(text: str, port: int) -> None:
    scan_nft(text, port, "10.0.0.1")


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "table",
                "inet",
                "f",
                "{",
                "}",
                "chain",
                "c",
                "type",
                "filter",
                "hook",
                "input",
                "policy",
                "drop;",
                "tcp",
                "dport",
                "!=",
                "18443",
                "{ 1-2, 3 }",
                "@s",
                "set",
                "s",
                "elements",
                "=",
                "ip",
                "daddr",
                "jump",
                "reject",
                "\n",
                "<",
                '"',
                "# handle 3",
            ]
        ),
        max_size=40,
    ),
    st.sampled_from(["", "10.1.1.1", "::1", "name"]),
)
def test_near_miss_rulesets_never_raise(tokens: list[str], address: str) -> None:
    scan_nft(" ".join(tokens), 18443, address)
