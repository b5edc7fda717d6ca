"""SshHost.stream: remote output as chunks; leaving it (or losing the link) ends the remote command."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from darc_tui.hosts import SshHost
from tests.hosts._util import helper_pid, marker_seconds, pids_matching, wait_until
from tests.lab.sshd import TEST_USER, Sshd, without_tools

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
    mux = link.live_mux() if link is not None else None
    assert link is not None and mux is not None and mux.open_channels == 0
    assert link.held == 1  # the helper's own session, nothing else
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


async def test_without_python3_streams_and_commands_share_the_session_budget(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost
) -> None:
    sshd = make_sshd(max_sessions=3, path=lambda d: without_tools(d, "python3"))
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


async def test_the_helper_carries_followers_and_commands_on_one_session(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost
) -> None:
    """MaxSessions 2, max_sessions 2: three followers and eight concurrent commands all run."""
    sshd = make_sshd(max_sessions=2)
    host = make_ssh_host(sshd.host_config(user=TEST_USER), max_sessions=2)
    secs = marker_seconds()
    async with (
        host.stream(["sh", "-c", f"echo one; exec sleep {secs}"]) as one,
        host.stream(["sh", "-c", f"echo two; exec sleep {secs}"]) as two,
        host.stream(["sh", "-c", f"echo three; exec sleep {secs}"]) as three,
    ):
        for stream, word in ((one, b"one\n"), (two, b"two\n"), (three, b"three\n")):
            async for chunk in stream:
                assert chunk == word
                break
        results = await asyncio.gather(
            *(host.run(["sh", "-c", f"echo {i}; sleep 0.2"], timeout=5) for i in range(8))
        )
        assert [r.text() for r in results] == [f"{i}\n" for i in range(8)]
        assert len(pids_matching(f"sleep {secs}")) == 3
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="followers gone")
    link = host.current_link()
    assert link is not None and link.peak_sessions == 1


async def test_closing_the_helper_leaves_nothing_behind(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost
) -> None:
    sshd = make_sshd()
    host = make_ssh_host(sshd.host_config(user=TEST_USER))
    secs = marker_seconds()
    running = asyncio.ensure_future(host.run(["sleep", secs], timeout=60))
    async with host.stream(["sleep", secs]) as s:
        await wait_until(lambda: len(pids_matching(f"sleep {secs}")) == 2, what="both started")
        helper = helper_pid(host)
        await host.close()
        assert [c async for c in s] == []
    assert (await running).error.startswith("connection lost")
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="remote processes gone")
    await wait_until(lambda: not Path(f"/proc/{helper}").exists(), what="helper gone")
