"""Follower tests run twice: on the local host and over a real OpenSSH sshd on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from darc_tui.hosts.base import Host
from darc_tui.hosts.local import LocalHost
from darc_tui.hosts.ssh import SshHost
from darc_tui.retry import Backoff


@pytest.fixture(params=["local", "ssh"])
async def host(request: pytest.FixtureRequest) -> AsyncIterator[Host]:
    """LocalHost, or an SshHost logged in as root to a throwaway sshd on 127.0.0.1."""
    if request.param == "local":
        yield LocalHost()
        return
    sshd: Any = request.getfixturevalue("sshd")
    ssh = SshHost(
        sshd.host_config(),
        ssh_config=(),
        connect_timeout=5.0,
        keepalive_interval=2.0,
        backoff=Backoff(base=0.05, cap=0.2),
    )
    try:
        yield ssh
    finally:
        await ssh.close()
