"""Timeouts from the Envoy host: a firewall rule when one matches, unreachable otherwise."""

from __future__ import annotations

from darc_tui.diagnosis import diagnose
from darc_tui.model import Vantage, Verdict
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


def test_one_host_of_two_timing_out_is_unreachable_and_traffic_goes_on_elsewhere() -> None:
    """Per-host connects name the host behind the drop; the backend URL's host is fine."""
    report = b.report_of(
        "backend_cluster", ("127.0.0.1", 18443, b.HEALTHY), ("127.0.0.2", 18443, b.FAILED_HC)
    )
    found = diagnose(
        b.state(
            b.process(),
            b.ready(),
            b.clusters(report),
            b.tcp("127.0.0.1", 18443),
            b.http(Vantage.ENVOY_HOST, HEALTH, 200),
            *b.endpoint_tcp(
                "backend_cluster", ("127.0.0.1", 18443, ""), ("127.0.0.2", 18443, "timeout")
            ),
            b.firewall([]),
        ),
        b.config(),
    )
    top = found[0]
    assert top.cause == "network.unreachable"
    assert top.summary.startswith("127.0.0.2:18443 is unreachable from the Envoy host")
    assert "traffic continues on 127.0.0.1:18443" in top.summary
    assert top.severity is Verdict.DEGRADED
    assert any(s == "ip route get 127.0.0.2" for s in top.next_steps)
    assert "backend.down" not in [f.cause for f in found]


def test_a_host_connect_that_repeats_the_backend_urls_is_cited_once() -> None:
    """The cluster's one host is the backend URL: backend.tcp and endpoint.tcp made the same
    connect, which is one piece of evidence, not two agreeing ones."""
    alone = diagnose(b.state(*timed_out(), b.firewall([])), b.config())[0]
    both = diagnose(
        b.state(
            *timed_out(),
            *b.endpoint_tcp("backend_cluster", ("127.0.0.1", 18443, "timeout")),
            b.firewall([]),
        ),
        b.config(),
    )[0]
    assert both.cause == alone.cause == "network.unreachable"
    assert both.confidence == alone.confidence
    assert not any(e.probe == "endpoint.tcp" for e in both.evidence)
