"""SshHost.stream: remote output as chunks; leaving it (or losing the link) ends the remote command."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from darc_tui.hosts import SshHost
from tests.hosts._util import marker_seconds, pids_matching, wait_until
from tests.lab.sshd import TEST_USER, Sshd

MakeHost = Callable[..., SshHost]
USERS = ["root", TEST_USER]  # OpenSSH 9.2 ignores signal requests for root: both must work


async def test_stream_yields_output_then_the_exit_status(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    host = make_ssh_host(sshd.host_config())
    async with host.stream(["sh", "-c", "printf 'a\\nb\\377\\n'; echo oops >&2; exit 4"]) as s:
        data = b"".join([chunk async for chunk in s])
    assert data == b"a\nb\xff\n"
    assert (s.exit_status, s.stderr_text, s.error) == (4, "oops\n", "")


@pytest.mark.parametrize("user", USERS)
async def test_leaving_a_stream_ends_the_remote_pipeline(
    sshd: Sshd, make_ssh_host: MakeHost, user: str
) -> None:
    secs = marker_seconds()
    host = make_ssh_host(sshd.host_config(user=user))
    async with host.stream(["sh", "-c", f"echo started; sleep {secs} | cat"]) as s:
        async for chunk in s:
            assert chunk == b"started\n"
            break
        assert pids_matching(f"sleep {secs}")
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="remote pipeline gone")
    link = host.current_link()
    assert link is not None and link.sessions._value == host.max_sessions
    assert (await host.run(["true"], timeout=5)).ok


@pytest.mark.parametrize("user", USERS)
async def test_a_dropped_connection_ends_the_remote_command(
    sshd: Sshd, make_ssh_host: MakeHost, user: str
) -> None:
    secs = marker_seconds()
    host = make_ssh_host(sshd.host_config(user=user))
    async with host.stream(["sh", "-c", f"echo started; sleep {secs} | cat"]) as s:
        async for chunk in s:
            assert chunk == b"started\n"
            break
        assert pids_matching(f"sleep {secs}")
        assert sshd.drop_connections() > 0
        await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="remote command gone")
        assert [c async for c in s] == []
    assert s.error.startswith("connection lost")


async def test_stream_on_a_down_host_ends_at_once_with_the_reason(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    sshd.stop()
    host = make_ssh_host(sshd.host_config())
    async with host.stream(["tail", "-F", "/dev/null"]) as s:
        assert [c async for c in s] == []
    assert s.error == "host down: connection refused"


async def test_streams_and_commands_share_the_session_budget(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost
) -> None:
    sshd = make_sshd(max_sessions=3)
    host = make_ssh_host(sshd.host_config(user=TEST_USER), max_sessions=2)
    secs = marker_seconds()
    async with (
        host.stream(["sleep", secs]) as first,
        host.stream(["sleep", secs]) as second,
    ):
        assert not first.error and not second.error
        blocked = await host.run(["true"], timeout=0.5)
        assert blocked.error == "timed out after 0.5s waiting for a free SSH session (2 in use)"
    assert (await host.run(["true"], timeout=5)).ok
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="sleepers gone")
