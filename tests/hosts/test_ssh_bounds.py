"""SshHost.run is bounded on both routes: a remote /dev/zero stops at OUTPUT_LIMIT (said so), input
still reaches the command, and the session slot is free again afterwards."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Callable

import pytest

from darc_tui.hosts import SshHost
from darc_tui.hosts._common import OUTPUT_LIMIT
from tests.lab.sshd import TEST_USER, Sshd, without_tools

MakeHost = Callable[..., SshHost]


@pytest.mark.parametrize("route", ["helper", "exec"])
async def test_endless_remote_output_is_cut_at_the_limit(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost, route: str
) -> None:
    path = (lambda d: without_tools(d, "python3")) if route == "exec" else None
    host = make_ssh_host(make_sshd(path=path).host_config(user=TEST_USER))
    async with asyncio.timeout(60):  # the test's own deadline: a hang fails it
        result = await host.run(["cat", "/dev/zero"], timeout=10)
    assert not result.ok and "larger than 16 MiB" in result.error, result.error
    assert len(result.stdout) <= OUTPUT_LIMIT
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 600 * 1024
    again = await host.run(["wc", "-c"], timeout=10, input=b"12345")
    assert again.ok and again.text().strip() == "5"
