"""EnvoyProcess: a real Envoy starts LIVE, stops without orphans, and reports why it failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from darc_tui.demo.envoy_process import EnvoyProcess, EnvoyStartError, find_envoy
from darc_tui.demo.envoy_yaml import EnvoySpec, render
from tests.lab.lab import free_port, wait_for


def _config(tmp_path: Path, **overrides) -> tuple[Path, EnvoySpec]:
    spec = EnvoySpec(
        admin_port=free_port(),
        listener_port=free_port(),
        access_log_path=str(tmp_path / "access.log"),
        **overrides,
    )
    path = tmp_path / "envoy.yaml"
    path.write_text(render(spec))
    return path, spec


def _alive(pid: int) -> bool:
    """Running, and not a zombie (an orphan's zombie lingers if PID 1 does not reap)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_find_envoy_prefers_the_configured_path(envoy_binary: Path, tmp_path: Path):
    assert find_envoy() is not None
    assert find_envoy(str(envoy_binary)) == envoy_binary
    assert find_envoy(str(tmp_path / "missing")) is None


async def test_starts_live_and_stops_its_whole_process_group(envoy_binary: Path, tmp_path: Path):
    config, spec = _config(tmp_path)
    envoy = EnvoyProcess(config, admin_url=spec.admin_url, workdir=tmp_path, binary=envoy_binary)
    await envoy.start()
    assert envoy.pid is not None
    pid = envoy.pid
    async with httpx.AsyncClient() as client:
        info = (await client.get(f"{spec.admin_url}/server_info")).json()
    assert info["command_line_options"]["concurrency"] == 1
    assert info["command_line_options"]["file_flush_interval"] == "1s"
    assert envoy.log_path.read_text()  # Envoy logs to the work dir, not the terminal
    assert await envoy.stop() == 0  # SIGTERM is a clean shutdown for Envoy
    assert not _alive(pid)


def test_a_bad_config_raises_with_envoys_own_reason(envoy_binary: Path, tmp_path: Path):
    config = tmp_path / "envoy.yaml"
    config.write_text("static_resources: {clusters: [{name: x, type: NOPE}]}\n")
    envoy = EnvoyProcess(
        config, admin_url="http://127.0.0.1:1", workdir=tmp_path, binary=envoy_binary
    )
    with pytest.raises(EnvoyStartError, match="NOPE"):
        envoy.start_sync(timeout=20)
    assert not envoy.running


def test_hot_restart_instances_get_distinct_base_ids(envoy_binary: Path, tmp_path: Path):
    envoys = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            config, spec = _config(workdir)
            envoy = EnvoyProcess(
                config,
                admin_url=spec.admin_url,
                workdir=workdir,
                binary=envoy_binary,
                hot_restart=True,
            )
            envoy.start_sync()
            envoys.append(envoy)
        ids = {(e.workdir / "base_id").read_text().strip() for e in envoys}
        assert len(ids) == 2
    finally:
        for envoy in envoys:
            envoy.stop_sync()


def test_extra_args_reach_envoy(envoy_binary: Path, tmp_path: Path):
    config, spec = _config(tmp_path)
    envoy = EnvoyProcess(
        config,
        admin_url=spec.admin_url,
        workdir=tmp_path,
        binary=envoy_binary,
        extra_args=["--service-cluster", "darc-lab"],
    )
    envoy.start_sync()
    try:
        info = httpx.get(f"{spec.admin_url}/server_info").json()
        assert info["command_line_options"]["service_cluster"] == "darc-lab"
    finally:
        envoy.stop_sync()


def test_envoy_dies_with_a_killed_parent(envoy_binary: Path, tmp_path: Path):
    config, spec = _config(tmp_path)
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from darc_tui.demo.envoy_process import EnvoyProcess\n"
            "e = EnvoyProcess(sys.argv[1], admin_url=sys.argv[2], workdir=sys.argv[3])\n"
            "e.start_sync()\n"
            "print(e.pid, flush=True)\n"
            "time.sleep(60)\n",
            str(config),
            spec.admin_url,
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        envoy_pid = int(parent.stdout.readline())
        assert _alive(envoy_pid)
    finally:
        parent.kill()
        parent.wait()
    try:
        wait_for(lambda: not _alive(envoy_pid), 10, f"Envoy {envoy_pid} to die with its parent")
    finally:
        if _alive(envoy_pid):
            os.kill(envoy_pid, signal.SIGKILL)  # the orphan this test failed to prevent
