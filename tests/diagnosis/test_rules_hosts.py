"""host.unreachable: a dead SSH link is named, never read as Envoy or the backend being down."""

from __future__ import annotations

from darc_tui.config import parse_config
from darc_tui.diagnosis import diagnose
from darc_tui.model import HostState
from darc_tui.state import State

CONFIG = parse_config(
    """
[hosts.edge]
address = "edge-1.internal"
user = "ops"
port = 2222
[hosts.app]
address = "app-1.internal"
[envoy]
host = "edge"
[backend]
host = "app"
url = "http://10.0.0.100:18443"
"""
)


def test_down_envoy_host_is_named_with_its_reason_and_an_ssh_command() -> None:
    state = State()
    state.set_host(HostState("edge", "ssh", False, "down: connection refused, retry in 4s"))
    state.set_host(HostState("app", "ssh", True, "connected"))
    [found] = diagnose(state, CONFIG)
    assert found.cause == "host.unreachable"
    assert "Envoy host edge (ops@edge-1.internal:2222)" in found.summary
    assert "connection refused" in found.summary
    assert found.next_steps[0] == "ssh -p 2222 ops@edge-1.internal true"


def test_host_key_problem_suggests_a_fingerprint_check_not_blind_trust() -> None:
    state = State()
    state.set_host(HostState("app", "ssh", False, "down: unknown host key for [app-1.internal]"))
    [found] = diagnose(state, CONFIG)
    assert "backend host app" in found.summary
    assert any(s.startswith("ssh-keygen -l -F app-1.internal -f") for s in found.next_steps)
    scan = [s for s in found.next_steps if s.startswith("ssh-keyscan -p 22 app-1.internal")]
    assert scan and "| ssh-keygen -l -f -" in scan[0]
    assert not any(">>" in s or "known_hosts" in s.split("#")[0] for s in scan)


def test_not_connected_yet_is_not_a_finding() -> None:
    state = State()
    state.set_host(HostState("edge", "ssh", False, "not connected yet"))
    state.set_host(HostState("edge", "ssh", False, "connecting"))
    assert diagnose(state, CONFIG) == []
