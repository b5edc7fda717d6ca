"""Helpers for host tests: poll with a deadline, find processes by marker, the namespaced site."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from darc_tui.hosts.ssh import SshHost
    from tests.lab.netns import Netns
    from tests.lab.sshd import Sshd


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Poll `condition` every 50 ms until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if not isinstance(value, bool):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def marker_seconds() -> str:
    """A unique, valid `sleep` argument that makes the process findable with pgrep -f."""
    return f"{1000 + uuid.uuid4().int % 100000}.{uuid.uuid4().int % 10**6:06d}"


def pids_matching(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def helper_pid(host: SshHost) -> int:
    """The pid of the host's running multiplexing helper (its greeting says it)."""
    link = host.current_link()
    mux = link.live_mux() if link is not None else None
    assert mux is not None, "no helper running"
    return int(mux.info["pid"])


@dataclass
class NsSite:
    """An SSH host living in its own network namespace (see the ns_site fixture)."""

    host: SshHost
    sshd: Sshd
    netns: Netns
    port: int  # an HTTP server on the namespace's 127.0.0.1
    addr: str  # the namespace's veth address (sshd listens there)

    def drop_port(self, port: int) -> None:
        """Silently drop TCP SYNs to `port` inside the namespace (a firewall DROP rule)."""
        rule = ["INPUT", "-p", "tcp", "--dport", str(port), "-j", "DROP"]
        self.netns.exec(["iptables", "-I", *rule])
