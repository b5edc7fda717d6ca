"""An SSH host that dies, restarts or hangs mid-run: the state says so, darc-tui recovers by itself,
and nothing it started is left running on the host."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from darc_tui.hosts import SshHost
from tests.hosts._util import helper_pid, marker_seconds, pids_matching, wait_until
from tests.lab.sshd import TEST_USER, Sshd

MakeHost = Callable[..., SshHost]


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


async def test_sshd_killed_and_restarted_mid_run_is_shown_then_used_again(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    host = make_ssh_host(sshd.host_config(user=TEST_USER))
    secs = marker_seconds()
    async with host.stream(["sleep", secs]) as follower:
        assert (await host.run(["true"], timeout=5)).ok
        first = helper_pid(host)
        sshd.kill_all()  # listener and every connection: a crash, or a restart that cut links
        assert [c async for c in follower] == []
        assert follower.error.startswith("connection lost")
    down = await host.run(["true"], timeout=5)
    assert down.error.startswith("host down: connection refused"), down.error
    assert host.state().detail.startswith("down: connection refused")
    await wait_until(lambda: gone(first), what="the old helper gone")
    assert not pids_matching(f"sleep {secs}")
    sshd.start()

    async def back() -> bool:
        return (await host.run(["true"], timeout=5)).ok

    await wait_until(back, what="commands work again after the restart")
    assert host.state().connected and helper_pid(host) != first


async def test_a_hung_session_is_shown_recovered_and_leaves_nothing_behind(
    sshd: Sshd, make_ssh_host: MakeHost
) -> None:
    """SIGSTOP on the per-connection sshd: a peer that stops answering (a frozen host, a dead
    route). The keepalive notices, the host shows down; once sshd runs again it sees the
    connection gone, the helper's stdin closes and the helper kills what it started."""
    host = make_ssh_host(
        sshd.host_config(user=TEST_USER), keepalive_interval=0.5, keepalive_count_max=2
    )
    secs = marker_seconds()
    async with host.stream(["sleep", secs]) as follower:
        assert (await host.run(["true"], timeout=5)).ok
        helper = helper_pid(host)
        assert pids_matching(f"sleep {secs}")
        assert sshd.signal_connections(signal.SIGSTOP) > 0
        try:
            await wait_until(lambda: not host.state().connected, what="the hang noticed")
            assert host.state().detail.startswith("down: connection lost"), host.state()
            assert [c async for c in follower] == []
        finally:
            sshd.signal_connections(signal.SIGCONT)
    await wait_until(lambda: gone(helper), what="the helper gone")
    await wait_until(lambda: not pids_matching(f"sleep {secs}"), what="the follower gone")

    async def back() -> bool:
        return (await host.run(["true"], timeout=5)).ok

    await wait_until(back, what="commands work again")
    assert host.state().connected
