"""What each reload method runs on the Envoy host, and when it must refuse."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from darc_tui.actions.target import ProcessKind, classify, resolve_target
from darc_tui.config import Config, EnvoyConfig, HostConfig
from darc_tui.hosts import LocalHost


@pytest.mark.parametrize(
    ("cmdline", "kind"),
    [
        (
            [
                "/usr/bin/python3",
                "-m",
                "darc_tui.actions.wrapper",
                "--pid-file",
                "f",
                "--",
                "envoy",
            ],
            ProcessKind.WRAPPER,
        ),
        (
            ["/usr/bin/python3", "/usr/local/bin/darc-tui", "envoy-wrapper", "--", "envoy"],
            ProcessKind.WRAPPER,
        ),
        (["/usr/local/bin/envoy", "-c", "/etc/envoy/envoy.yaml"], ProcessKind.ENVOY),
        (["envoy-static", "-c", "x"], ProcessKind.ENVOY),
        (["python", "/opt/hot-restarter.py", "start_envoy.sh"], ProcessKind.HOT_RESTARTER),
        (["/usr/sbin/nginx"], ProcessKind.OTHER),
    ],
)
def test_classify_tells_the_wrapper_from_envoy_and_others(
    cmdline: list[str], kind: ProcessKind
) -> None:
    assert classify(cmdline) is kind


def edge_config(**envoy: str) -> Config:
    return Config(
        hosts={"edge": HostConfig("edge", address="127.0.0.1", sudo=True)},
        envoy=EnvoyConfig(host="edge", **envoy),
    )


async def test_systemd_reload_uses_sudo_when_the_host_allows_it() -> None:
    target = await resolve_target(
        LocalHost(), edge_config(reload="systemd", unit="envoy"), timeout=2
    )

    assert target.action == ("sudo", "-n", "systemctl", "reload", "envoy")
    assert not target.refusal


async def test_systemd_without_a_unit_is_refused() -> None:
    target = await resolve_target(
        LocalHost(), Config(envoy=EnvoyConfig(reload="systemd", unit="")), timeout=2
    )

    assert "envoy.unit is empty" in target.refusal and target.action == ()


async def test_the_reload_command_is_split_like_a_shell_and_run_as_argv() -> None:
    config = Config(
        envoy=EnvoyConfig(
            reload="command", reload_command="/usr/local/bin/envoy-reload --unit 'edge envoy'"
        )
    )
    broken = Config(envoy=EnvoyConfig(reload="command", reload_command="reload 'unbalanced"))

    target = await resolve_target(LocalHost(), config, timeout=2)
    refused = await resolve_target(LocalHost(), broken, timeout=2)

    assert target.action == ("/usr/local/bin/envoy-reload", "--unit", "edge envoy")
    assert "cannot be split" in refused.refusal


async def test_hot_restart_without_a_wrapper_pid_file_is_refused_with_why() -> None:
    target = await resolve_target(
        LocalHost(), Config(envoy=EnvoyConfig(reload="hot-restart")), timeout=2
    )

    assert "wrapper_pid_file is not set" in target.refusal and "ignores SIGHUP" in target.refusal


@pytest.fixture
def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    with subprocess.Popen(["sleep", "30"]) as process:
        try:
            yield process
        finally:
            process.kill()


async def test_a_stale_pid_file_is_refused(tmp_path: Path, dead_pid: int) -> None:
    pid_file = tmp_path / "wrapper.pid"
    pid_file.write_text(f"{dead_pid}\n")
    config = Config(envoy=EnvoyConfig(reload="hot-restart", wrapper_pid_file=str(pid_file)))

    target = await resolve_target(LocalHost(), config, timeout=2)

    assert f"no process {dead_pid} is running" in target.refusal


async def test_a_pid_that_is_not_the_wrapper_is_refused(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    pid_file = tmp_path / "wrapper.pid"
    pid_file.write_text(f"{sleeper.pid}\n")
    config = Config(envoy=EnvoyConfig(reload="hot-restart", wrapper_pid_file=str(pid_file)))

    target = await resolve_target(LocalHost(), config, timeout=2)

    assert target.refusal == f"pid {sleeper.pid} is not darc-tui's envoy-wrapper: sleep 30"
