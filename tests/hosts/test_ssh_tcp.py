"""SshHost.open_tcp: connect from the SSH host (direct-tcpip, or bash /dev/tcp when forbidden)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable

import pytest

from darc_tui.hosts import LocalHost, SshHost
from tests.hosts._util import NsSite
from tests.lab.sshd import TEST_USER, Sshd, without_tools

MakeHost = Callable[..., SshHost]


async def test_direct_tcpip_connects_to_a_listener(
    sshd: Sshd, make_ssh_host: MakeHost, listening_port: int
) -> None:
    host = make_ssh_host(sshd.host_config())
    result = await host.open_tcp("127.0.0.1", listening_port, timeout=2)
    assert result.ok and result.via == "ssh direct-tcpip" and result.connect_ms is not None


async def test_direct_tcpip_to_a_closed_port_is_refused(
    sshd: Sshd, make_ssh_host: MakeHost, closed_port: int
) -> None:
    host = make_ssh_host(sshd.host_config())
    result = await host.open_tcp("127.0.0.1", closed_port, timeout=2)
    assert (result.ok, result.error, result.via) == (False, "refused", "ssh direct-tcpip")


@pytest.mark.parametrize("via", ["ssh helper", "remote bash /dev/tcp"])
async def test_forbidden_forwarding_connects_through_the_helper_else_bash(
    make_sshd: Callable[..., Sshd],
    make_ssh_host: MakeHost,
    listening_port: int,
    closed_port: int,
    via: str,
) -> None:
    path = (lambda d: without_tools(d, "python3")) if via.startswith("remote bash") else None
    sshd = make_sshd(allow_tcp_forwarding=False, path=path)
    host = make_ssh_host(sshd.host_config(user=TEST_USER))
    opened = await host.open_tcp("127.0.0.1", listening_port, timeout=2)
    refused = await host.open_tcp("127.0.0.1", closed_port, timeout=2)
    assert (opened.ok, opened.via) == (True, via)
    assert opened.connect_ms is not None
    assert (refused.ok, refused.error, refused.via) == (False, "refused", via)


async def test_the_connect_happens_on_the_ssh_host(ns_site: NsSite) -> None:
    """A port open only inside the host's namespace: refused locally, open over SSH."""
    local = await LocalHost().open_tcp("127.0.0.1", ns_site.port, timeout=2)
    remote = await ns_site.host.open_tcp("127.0.0.1", ns_site.port, timeout=2)
    assert local.error == "refused"
    assert remote.ok and remote.via == "ssh direct-tcpip"


async def test_dropped_packets_are_a_timeout(ns_site: NsSite) -> None:
    ns_site.drop_port(ns_site.port)
    result = await ns_site.host.open_tcp(ns_site.addr, ns_site.port, timeout=0.5)
    assert (result.ok, result.error, result.via) == (False, "timeout", "ssh direct-tcpip")
    # the abandoned channel open does not break the connection
    assert (await ns_site.host.run(["true"], timeout=5)).ok


_RECORDING_LISTENER = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening", flush=True)
while True:
    c, _ = s.accept()
    print("accepted", flush=True)
    while c.recv(1024):
        pass
    print("closed", flush=True)
    c.close()
"""


async def test_a_connect_that_succeeds_after_the_timeout_is_closed(ns_site: NsSite) -> None:
    port = ns_site.port + 1
    listener = ns_site.netns.popen(
        [sys.executable, "-c", _RECORDING_LISTENER, str(port)], stdout=subprocess.PIPE, text=True
    )

    async def next_line() -> str:
        async with asyncio.timeout(10):
            return (await asyncio.to_thread(listener.stdout.readline)).strip()  # type: ignore[union-attr]

    assert await next_line() == "listening"
    ns_site.drop_port(port)
    result = await ns_site.host.open_tcp("127.0.0.1", port, timeout=0.3)
    assert result.error == "timeout"
    # let the kernel's SYN retransmission through: sshd's connect now succeeds, late
    ns_site.netns.exec(["iptables", "-D", "INPUT", "-p", "tcp", "--dport", str(port), "-j", "DROP"])
    assert await next_line() == "accepted"
    assert await next_line() == "closed"
