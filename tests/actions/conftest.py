"""Fixtures for the reload tests: a real Envoy under darc-tui's hot-restart wrapper, loopback only."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from darc_tui.actions.wrapper_status import WrapperStatus, parse_status
from darc_tui.config import BackendConfig, Config, EnvoyConfig, ProbesConfig, UiConfig
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess, EnvoyStartError
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, render
from darc_tui.hosts import LocalHost
from darc_tui.hosts.base import Host
from tests.lab.lab import free_port

T = TypeVar("T")
# Short drains so that a test sees the old epoch go; Envoy's defaults are 600 s and 900 s.
DRAIN_S = 1
PARENT_SHUTDOWN_S = 3


def wait_until(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not serving anything
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


class WrappedEnvoy:
    """A demo backend and a real Envoy started by `python -m darc_tui.actions.wrapper`."""

    def __init__(self, workdir: Path, binary: Path, backend: Backend, **overrides: Any) -> None:
        self.workdir = workdir
        self.binary = binary
        self.backend = backend
        defaults: dict[str, Any] = {
            "endpoints": (Endpoint("127.0.0.1", backend.port),),
            "access_log_path": "",
            "hc_interval": 0.5,
        }
        self.spec = EnvoySpec(
            admin_port=free_port(), listener_port=free_port(), **{**defaults, **overrides}
        )
        self.yaml_path = workdir / "envoy.yaml"
        self.pid_file = workdir / "wrapper.pid"
        self.status_file = workdir / "wrapper.status.json"
        self.admin_url_option = False
        self.process: EnvoyProcess | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def command(self) -> list[str]:
        own = ["--pid-file", str(self.pid_file)]
        if self.admin_url_option:
            own += ["--admin-url", self.spec.admin_url]
        envoy = [str(self.binary), "-c", str(self.yaml_path), "--concurrency", "1", "-l", "warning"]
        envoy += [
            "--drain-time-s",
            str(DRAIN_S),
            "--parent-shutdown-time-s",
            str(PARENT_SHUTDOWN_S),
        ]
        envoy += ["--file-flush-interval-msec", "100"]
        return [sys.executable, "-m", "darc_tui.actions.wrapper", *own, "--", *envoy]

    def spawn(self) -> EnvoyProcess:
        self.write(self.spec)
        self.process = EnvoyProcess(
            self.yaml_path,
            admin_url=self.spec.admin_url,
            workdir=self.workdir,
            command=self.command(),
        )
        self.process.spawn()
        return self.process

    def start(self) -> WrappedEnvoy:
        """Spawn and wait until LIVE with a healthy cluster, on fresh ports if one got taken."""
        for attempt in range(3):
            try:
                self.spawn().wait_ready_sync(timeout=20)
                break
            except EnvoyStartError:
                self.stop()
                if attempt == 2:
                    raise
                self.spec = dataclasses.replace(
                    self.spec, admin_port=free_port(), listener_port=free_port()
                )
        wait_until(self.cluster_healthy, 15, "backend_cluster healthy")
        wait_until(lambda: self.status() and self.status().state == "live", 10, "wrapper live")  # type: ignore[union-attr]
        return self

    def stop(self) -> int | None:
        return self.process.stop_sync() if self.process else None

    # -- files -----------------------------------------------------------------------------------

    def write(self, spec: EnvoySpec) -> None:
        self.yaml_path.write_text(render(spec), encoding="utf-8")

    def rewrite(self, **overrides: Any) -> EnvoySpec:
        """envoy.yaml on disk with `overrides`; the running Envoy does not see it until a reload."""
        spec = dataclasses.replace(self.spec, **overrides)
        self.write(spec)
        return spec

    def status(self) -> WrapperStatus | None:
        try:
            return parse_status(self.status_file.read_text(encoding="utf-8"))
        except OSError:
            return None

    @property
    def wrapper_pid(self) -> int:
        return int(self.pid_file.read_text().strip())

    # -- admin -----------------------------------------------------------------------------------

    def admin_json(self, path: str) -> Any:
        response = httpx.get(f"{self.spec.admin_url}{path}", timeout=2, trust_env=False)
        response.raise_for_status()
        return response.json()

    def server_info(self) -> dict[str, Any] | None:
        try:
            return dict(self.admin_json("/server_info"))
        except (httpx.HTTPError, ValueError):
            return None

    def epoch(self) -> int | None:
        info = self.server_info()
        return None if info is None else int(info["command_line_options"].get("restart_epoch", 0))

    def cluster_healthy(self) -> bool:
        try:
            clusters = self.admin_json("/clusters?format=json")["cluster_statuses"]
        except (httpx.HTTPError, ValueError, KeyError):
            return False
        hosts = [
            h
            for c in clusters
            if c["name"] == self.spec.cluster_name
            for h in c.get("host_statuses", [])
        ]
        return bool(hosts) and all(
            h["health_status"].get("eds_health_status") == "HEALTHY"
            and not h["health_status"].get("failed_active_health_check")
            for h in hosts
        )

    def config_dump_text(self) -> str:
        return json.dumps(self.admin_json("/config_dump"))

    def get(self, path: str = "/api/health") -> int:
        url = f"{self.spec.listener_url}{path}"
        return httpx.get(url, timeout=2, trust_env=False).status_code

    # -- darc-tui --------------------------------------------------------------------------------

    def config(self, *, read_only: bool = False, **envoy: Any) -> Config:
        settings: dict[str, Any] = {
            "host": "local",
            "admin_url": self.spec.admin_url,
            "listener_url": self.spec.listener_url,
            "config_path": str(self.yaml_path),
            "binary": str(self.binary),
            "cluster": self.spec.cluster_name,
            "access_log": "",
            "error_log": "",
            "unit": "",
            "reload": "hot-restart",
            "wrapper_pid_file": str(self.pid_file),
        }
        settings.update(envoy)
        return Config(
            envoy=EnvoyConfig(**settings),
            backend=BackendConfig(url=self.backend.url, health_path="/api/health"),
            probes=ProbesConfig(interval=0.5, timeout=1.0),
            ui=UiConfig(read_only=read_only),
        )


def local_hosts() -> dict[str, Host]:
    return {"local": LocalHost("local")}


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes its audit log into its own directory."""
    directory = tmp_path / "state"
    monkeypatch.setenv("DARC_TUI_STATE_DIR", str(directory))
    return directory


@pytest.fixture
def make_wrapped(tmp_path: Path, envoy_binary: Path) -> Iterator[Callable[..., WrappedEnvoy]]:
    """`make_wrapped(**EnvoySpec overrides)` → a WrappedEnvoy, not started yet."""
    made: list[tuple[WrappedEnvoy, Backend]] = []

    def make(**overrides: Any) -> WrappedEnvoy:
        backend = Backend().start()
        workdir = tmp_path / f"wrapped{len(made)}"
        workdir.mkdir()
        wrapped = WrappedEnvoy(workdir, envoy_binary, backend, **overrides)
        made.append((wrapped, backend))
        return wrapped

    try:
        yield make
    finally:
        for wrapped, backend in reversed(made):
            try:
                wrapped.stop()
            finally:
                backend.stop()


@pytest.fixture
def wrapped(make_wrapped: Callable[..., WrappedEnvoy]) -> WrappedEnvoy:
    """A started, healthy Envoy under the wrapper."""
    return make_wrapped().start()
