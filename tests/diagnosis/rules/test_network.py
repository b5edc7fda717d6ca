"""Timeouts from the Envoy host: a firewall rule when one matches, unreachable otherwise."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose
from darc_tui.model import Vantage
from tests.diagnosis import builders as b

RULE = "-A INPUT -p tcp -m tcp --dport 18443 -j DROP"
HEALTH = "http://127.0.0.1:18443/api/health"


def timed_out() -> list:
    return [
        b.process(),
        b.ready(),
        b.tcp("127.0.0.1", 18443, ok=False, error="timeout"),
        b.http(Vantage.ENVOY_HOST, HEALTH, None, error="connect timeout"),
        *b.stats_window(
            {"cluster.backend_cluster.upstream_cx_connect_timeout": 1},
            {"cluster.backend_cluster.upstream_cx_connect_timeout": 6},
        ),
    ]


def test_timeout_with_a_matching_drop_rule_is_the_firewall() -> None:
    found = diagnose(b.state(*timed_out(), b.firewall([RULE])), b.config())
    assert [f.cause for f in found] == ["network.firewall"]
    assert RULE in found[0].summary and "18443" in found[0].summary
    assert any("iptables -S | grep -w 18443" in s for s in found[0].next_steps)


def test_timeout_without_a_rule_is_unreachable_and_says_the_firewall_was_checked() -> None:
    found = diagnose(b.state(*timed_out(), b.firewall([])), b.config())
    assert [f.cause for f in found] == ["network.unreachable"]
    assert "127.0.0.1:18443" in found[0].summary
    assert any(line.startswith("network.firewall: no") for line in found[0].ruled_out)


def test_unreadable_firewall_lowers_confidence_and_is_not_ruled_out() -> None:
    checked = diagnose(b.state(*timed_out(), b.firewall([])), b.config())[0]
    blind = diagnose(b.state(*timed_out(), b.firewall(readable=False)), b.config())[0]
    assert blind.cause == "network.unreachable"
    assert blind.confidence < checked.confidence
    assert any("needs root" in line for line in blind.ruled_out)


def test_a_reject_rule_beats_backend_down_on_refused_connects() -> None:
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.tcp("127.0.0.1", 18443, ok=False, error="refused"),
            b.firewall(
                ["-A INPUT -p tcp --dport 18443 -j REJECT --reject-with icmp-port-unreachable"]
            ),
        ),
        b.config(),
    )
    assert [f.cause for f in found] == ["network.firewall"]


def test_a_matching_rule_without_any_failure_is_not_an_outage() -> None:
    found = diagnose(
        b.state(b.process(), b.ready(), b.tcp("127.0.0.1", 18443), b.firewall([RULE])), b.config()
    )
    assert found == []


def test_backend_answering_from_its_own_host_supports_unreachable() -> None:
    alone = diagnose(b.state(*timed_out(), b.firewall([])), b.config())[0]
    backed = diagnose(
        b.state(*timed_out(), b.firewall([]), b.http(Vantage.BACKEND_HOST, HEALTH, 200)), b.config()
    )[0]
    assert backed.confidence > alone.confidence
