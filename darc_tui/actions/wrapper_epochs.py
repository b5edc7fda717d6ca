"""One Envoy process per hot-restart epoch, as the wrapper starts, watches and signals it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

STDERR_TAIL = 8 * 1024  # bytes of an epoch's stderr kept for the status file
READ_CHUNK = 64 * 1024
ADMIN_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """The two fields of admin /server_info the wrapper needs."""

    state: str  # LIVE, DRAINING, PRE_INITIALIZING, INITIALIZING
    epoch: int


async def read_server_info(client: httpx.AsyncClient, admin_url: str) -> ServerInfo | None:
    """GET /server_info; None when the admin does not answer with one."""
    try:
        response = await client.get(f"{admin_url}/server_info")
        data = response.json()
        return ServerInfo(str(data["state"]), int(data["command_line_options"]["restart_epoch"]))
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


class Epoch:
    """A running (or exited) Envoy of one epoch; its stderr is passed through and its tail kept."""

    def __init__(self, number: int, proc: asyncio.subprocess.Process) -> None:
        self.number = number
        self.proc = proc
        self.pid = proc.pid
        self.live = False  # seen LIVE (or assumed, when no admin can tell)
        self.verified = False  # LIVE was read from the admin, not assumed
        self._tail = bytearray()
        self._pump = asyncio.ensure_future(self._pass_stderr())

    @property
    def running(self) -> bool:
        return self.proc.returncode is None

    async def _pass_stderr(self) -> None:
        stream = self.proc.stderr
        if stream is None:
            return
        out = sys.stderr.buffer
        while chunk := await stream.read(READ_CHUNK):
            self._tail += chunk
            del self._tail[:-STDERR_TAIL]
            with contextlib.suppress(OSError, ValueError):
                out.write(chunk)
                out.flush()

    async def wait(self) -> int:
        """Exit status like a shell reports it: the code, or 128 + the signal number."""
        code = await self.proc.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._pump), 2.0)
        return code if code >= 0 else 128 - code

    def stderr_tail(self) -> str:
        return self._tail.decode("utf-8", "replace")

    def send(self, sig: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    async def close(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump


class EpochStarter:
    """Builds each epoch's argv (restart epoch, base id, admin address file) and starts it."""

    def __init__(self, command: tuple[str, ...], workdir: Path, base_id: int | None) -> None:
        self.command = command
        self.fixed_base_id = base_id
        self.base_id_file = workdir / "base-id"
        self.admin_address_file = _option_value(command, "--admin-address-path") or str(
            workdir / "admin-address"
        )
        # A fresh connection per poll: the admin socket changes hands between epochs, and a pooled
        # connection to the old epoch's closed admin costs a whole timeout to notice.
        self.http = httpx.AsyncClient(
            timeout=ADMIN_TIMEOUT,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._epochs: list[Epoch] = []

    def argv(self, number: int) -> list[str]:
        argv = [*self.command, "--restart-epoch", str(number)]
        base_id = self.base_id()
        if number == 0 and self.fixed_base_id is None:
            # Envoy picks a base id no other Envoy family uses and writes it down for epoch 1…
            argv += ["--use-dynamic-base-id", "--base-id-path", str(self.base_id_file)]
        elif base_id is not None:
            argv += ["--base-id", str(base_id)]
        if _option_value(self.command, "--admin-address-path") is None:
            argv += ["--admin-address-path", self.admin_address_file]
        return argv

    async def start(self, number: int) -> Epoch:
        argv = self.argv(number)
        setpriv = shutil.which("setpriv")
        if setpriv:
            # Envoy gets SIGTERM when the wrapper dies (even by SIGKILL): no orphan keeps the ports
            # while the pid file points at nobody. setpriv execs Envoy: same pid.
            argv = [setpriv, "--pdeathsig", "TERM", "--", *argv]
        env = {**os.environ, "RESTART_EPOCH": str(number)}
        if self.base_id() is not None:
            env["ENVOY_BASE_ID"] = str(self.base_id())
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env
        )
        epoch = Epoch(number, proc)
        self._epochs.append(epoch)
        return epoch

    def base_id(self) -> int | None:
        if self.fixed_base_id is not None:
            return self.fixed_base_id
        try:
            return int(self.base_id_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def admin_url_from_file(self) -> str:
        """Envoy writes "127.0.0.1:9901" to --admin-address-path once its admin listens."""
        try:
            address = Path(self.admin_address_file).read_text(encoding="utf-8").strip()
        except OSError:
            return ""
        return f"http://{address}" if address else ""

    async def close(self) -> None:
        for epoch in self._epochs:
            await epoch.close()
        await self.http.aclose()


def _option_value(argv: tuple[str, ...], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None
