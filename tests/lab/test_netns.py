"""The `netns` fixture: a backend inside a namespace, reachable until a firewall rule drops it."""

from __future__ import annotations

import socket
import subprocess

import httpx
import pytest

from tests.lab.netns import Netns


def _connect(host: str, port: int, timeout: float) -> None:
    with socket.create_connection((host, port), timeout=timeout):
        pass


def test_backend_inside_is_reachable_until_iptables_drops_its_port(netns: Netns):
    url = netns.start_backend(18443)
    assert url == f"http://{netns.addr}:18443"
    assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200

    drop = ["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "18443", "-j", "DROP"]
    netns.exec(drop)
    with pytest.raises(TimeoutError):  # dropped packets: a timeout, not a refusal
        _connect(netns.addr, 18443, timeout=0.5)
    rules = netns.exec(["iptables", "-S", "INPUT"]).stdout
    assert "--dport 18443 -j DROP" in rules


def test_reject_rule_refuses_instead(netns: Netns):
    netns.start_backend(18443)
    reject = ["iptables", "-I", "INPUT", "-p", "tcp", "--dport", "18443"]
    netns.exec([*reject, "-j", "REJECT", "--reject-with", "tcp-reset"])
    with pytest.raises(ConnectionRefusedError):
        _connect(netns.addr, 18443, timeout=5)


def test_close_removes_namespace_veth_and_processes(netns: Netns):
    netns.start_backend(18443)
    (backend,) = netns.processes
    netns.close()
    assert backend.poll() is not None
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert netns.name not in listed.split()
    link = subprocess.run(["ip", "link", "show", netns.veth_root], capture_output=True)
    assert link.returncode != 0
    # No connect to netns.addr here: without the veth that address would follow the default route.


def test_each_namespace_gets_its_own_subnet(netns: Netns):
    from tests.lab.netns import create_netns

    other = create_netns()
    try:
        assert other.addr != netns.addr and other.name != netns.name
        assert other.exec(["ip", "-4", "-o", "addr", "show", other.veth_ns]).stdout.count(
            other.addr
        )
    finally:
        other.close()
