"""darc-tui's hot-restart wrapper around a real Envoy: epochs, failures, refusals, signals."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from darc_tui.actions import hot_restart_shm as shm
from darc_tui.actions.wrapper import main
from darc_tui.actions.wrapper_status import ReloadOutcome, WrapperState, WrapperStatus
from darc_tui.demo.envoy_yaml import Endpoint
from tests.actions.conftest import WrappedEnvoy, pid_alive, wait_until


def sighup_and_wait(wrapped: WrappedEnvoy) -> WrapperStatus:
    """SIGHUP the wrapper; the status once it has finished with that SIGHUP."""
    before = wrapped.status()
    assert before is not None
    os.kill(wrapped.wrapper_pid, signal.SIGHUP)

    def handled() -> WrapperStatus | None:
        status = wrapped.status()
        last = status.last_reload if status else None
        finished = last is not None and last.outcome is not ReloadOutcome.STARTED
        return status if finished and status.hup_seq > before.hup_seq else None  # type: ignore[union-attr]

    return wait_until(handled, 20, "the wrapper to finish the SIGHUP")


@pytest.mark.parametrize(
    "argv",
    [
        ["envoy", "-c", "envoy.yaml"],  # no "--"
        ["--"],  # no command
        ["--", "envoy", "--restart-epoch", "3"],  # the wrapper owns the epoch
        ["--bogus", "--", "envoy"],
    ],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    assert main(argv) == 2


def test_sighup_starts_the_next_epoch_and_the_old_one_drains_away(wrapped: WrappedEnvoy) -> None:
    old = wrapped.status()
    assert old is not None and old.epoch == 0 and old.pid is not None

    status = sighup_and_wait(wrapped)

    assert status.last_reload is not None and status.last_reload.outcome is ReloadOutcome.LIVE
    assert (status.epoch, status.state) == (1, WrapperState.LIVE)
    assert status.pid != old.pid
    assert wrapped.epoch() == 1
    assert wrapped.get() == 200
    wait_until(lambda: not pid_alive(old.pid), 15, "the old epoch to exit after draining")  # type: ignore[arg-type]


def test_failed_epoch_keeps_the_old_one_serving_and_the_next_reload_works(
    make_wrapped: Callable[..., WrappedEnvoy],
) -> None:
    wrapped = make_wrapped()
    wrapped.admin_url_option = True  # readiness from --admin-url instead of Envoy's address file
    wrapped.start()
    old = wrapped.status()
    assert old is not None and old.admin_url == wrapped.spec.admin_url
    assert old is not None and old.pid is not None
    with socket.socket() as blocker:  # another process already holds the new listener port
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        wrapped.rewrite(listener_port=blocker.getsockname()[1])

        failed = sighup_and_wait(wrapped)

    assert failed.last_reload is not None and failed.last_reload.outcome is ReloadOutcome.FAILED
    assert "Address already in use" in failed.last_reload.error
    assert "keeps serving" in failed.last_error
    assert "cleared the stale hot-restart INITIALIZING flag" in failed.last_error
    assert "no longer answers on its admin port" in failed.last_error
    assert (failed.epoch, failed.pid, failed.state) == (0, old.pid, WrapperState.LIVE)
    assert pid_alive(old.pid) and pid_alive(wrapped.wrapper_pid)
    assert wrapped.get() == 200  # the old epoch still answers on the old listener

    wrapped.rewrite(hc_interval=0.7)  # fixed; the same epoch number is tried again
    fixed = sighup_and_wait(wrapped)

    assert fixed.last_reload is not None and fixed.last_reload.outcome is ReloadOutcome.LIVE
    assert (fixed.epoch, wrapped.epoch()) == (1, 1)
    assert wrapped.get() == 200


def test_sighup_while_envoy_initializes_is_refused(
    make_wrapped: Callable[..., WrappedEnvoy],
) -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        # Envoy stays initializing until its first health check round ends (here: a 5 s timeout)
        wrapped = make_wrapped(hc_timeout=5.0, hc_interval=5.0)
        wrapped.spec = wrapped.rewrite(endpoints=(Endpoint("127.0.0.1", silent.getsockname()[1]),))
        wrapped.spawn()
        wait_until(
            lambda: (
                (wrapped.server_info() or {}).get("state") in ("PRE_INITIALIZING", "INITIALIZING")
            ),
            10,
            "Envoy initializing",
        )
        first = wrapped.status()
        assert first is not None and first.state is WrapperState.STARTING

        refused = sighup_and_wait(wrapped)

        assert refused.last_reload is not None
        assert refused.last_reload.outcome is ReloadOutcome.REFUSED
        assert "not LIVE" in refused.last_reload.error
        assert refused.pid == first.pid and refused.epoch == 0
        assert [pid for _, pid in refused.epochs] == [first.pid]


def test_sigusr1_makes_envoy_reopen_its_access_log(
    make_wrapped: Callable[..., WrappedEnvoy], tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    wrapped = make_wrapped(access_log_path=str(log)).start()
    assert wrapped.get() == 200
    wait_until(log.exists, 10, "the access log")
    log.rename(tmp_path / "access.log.1")  # what logrotate does

    os.kill(wrapped.wrapper_pid, signal.SIGUSR1)

    wait_until(log.exists, 10, "Envoy to reopen the access log")
    assert wrapped.get() == 200
    wait_until(lambda: "/api/health" in log.read_text(), 10, "a request in the reopened log")


def test_sigterm_stops_every_epoch_and_cleans_up(wrapped: WrappedEnvoy) -> None:
    old = wrapped.status()
    status = sighup_and_wait(wrapped)  # now two Envoys run: the new one and the draining one
    assert old is not None and old.pid is not None and status.pid is not None
    assert status.base_id is not None and shm.shm_path(status.base_id).exists()
    assert wrapped.process is not None

    os.kill(wrapped.wrapper_pid, signal.SIGTERM)

    assert (
        wait_until(lambda: wrapped.process.returncode is not None, 20, "the wrapper to exit")
        is True
    )  # type: ignore[union-attr]
    # seen once at 1 (exit code) in a loaded full run: say what the wrapper said if it recurs
    said = wrapped.process.console_path.read_text(errors="replace")[-3000:]
    assert wrapped.process.returncode == 0, said
    assert not pid_alive(old.pid) and not pid_alive(status.pid)
    assert not wrapped.pid_file.exists()
    stopped = wrapped.status()
    assert stopped is not None and stopped.state is WrapperState.STOPPED
    assert not shm.shm_path(status.base_id).exists()


def test_when_the_serving_envoy_dies_the_wrapper_exits_with_its_status(
    wrapped: WrappedEnvoy,
) -> None:
    status = wrapped.status()
    assert status is not None and status.pid is not None and wrapped.process is not None

    os.kill(status.pid, signal.SIGKILL)

    wait_until(lambda: wrapped.process.returncode is not None, 20, "the wrapper to exit")  # type: ignore[union-attr]
    assert wrapped.process.returncode == 128 + signal.SIGKILL
