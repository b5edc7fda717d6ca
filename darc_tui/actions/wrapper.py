"""`darc-tui envoy-wrapper`: run Envoy with hot restart; SIGHUP starts the next epoch, safely.

    python -m darc_tui.actions.wrapper [--pid-file F] [--base-id N] [--admin-url URL] -- envoy -c envoy.yaml …

Envoy ignores SIGHUP itself; a reload is a hot restart: a new process with `--restart-epoch N+1`
(same base id) takes the listeners over from the old one, which drains and exits. This wrapper
appends `--restart-epoch N` and the base-id options to the command (and sets RESTART_EPOCH), writes
its own pid to the pid file and a JSON status next to it.

Where Envoy's restarter/hot-restarter.py kills every Envoy when a new epoch exits non-zero, this
wrapper keeps the old epoch serving, records the failure (with the new epoch's stderr tail) and
stays up. Signals: HUP = hot restart (refused while an epoch is still starting: a new epoch started
then fails with "previous envoy process is still initializing"); TERM/INT = stop every Envoy and
exit; USR1 = reopen logs (forwarded to every running epoch: a draining one still writes logs).
When the serving Envoy exits, the wrapper stops the others and exits with its status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from darc_tui.actions import hot_restart_shm as shm
from darc_tui.actions.wrapper_epochs import Epoch, EpochStarter, ServerInfo, read_server_info
from darc_tui.actions.wrapper_status import (
    LastReload,
    ReloadOutcome,
    WrapperState,
    WrapperStatus,
    status_path_for,
    write_atomic,
    write_status,
)

ADMIN_WAIT = 10.0  # seconds an epoch gets to open its admin before readiness counts as unknown
READY_POLL = 0.1
MANAGED_OPTIONS = ("--restart-epoch", "--base-id", "--use-dynamic-base-id", "--base-id-path")
STILL_INITIALIZING = "previous envoy process is still initializing"


@dataclass(frozen=True, slots=True)
class WrapperOptions:
    command: tuple[str, ...]
    pid_file: str = ""
    status_file: str = ""
    base_id: int | None = None  # None: Envoy picks a free one at epoch 0 (--use-dynamic-base-id)
    admin_url: str = ""  # "": learned from --admin-address-path, which the wrapper adds
    term_wait: float = 10.0


class UsageError(Exception):
    pass


def parse_args(argv: Sequence[str]) -> WrapperOptions:
    args = list(argv)
    if "--" not in args:
        raise UsageError("usage: envoy-wrapper [options] -- ENVOY [ARGS…]  (the '--' is required)")
    split = args.index("--")
    own, command = args[:split], tuple(args[split + 1 :])
    p = argparse.ArgumentParser(prog="darc-tui envoy-wrapper", description=__doc__.splitlines()[0])
    p.add_argument("--pid-file", default="", help="write the wrapper's pid here")
    p.add_argument("--status-file", default="", help="JSON status (default: next to the pid file)")
    p.add_argument("--base-id", type=int, help="Envoy --base-id (default: dynamic)")
    p.add_argument("--admin-url", default="", help="Envoy admin, e.g. http://127.0.0.1:9901")
    p.add_argument("--term-wait", type=float, default=10.0, help="seconds before SIGKILL on stop")
    ns = p.parse_args(own)
    if not command:
        raise UsageError("no Envoy command after '--'")
    managed = [a for a in command if a.split("=")[0] in MANAGED_OPTIONS]
    if managed:
        raise UsageError(
            f"the wrapper sets {', '.join(managed)} itself; use --base-id on the wrapper"
        )
    status_file = ns.status_file or (status_path_for(ns.pid_file) if ns.pid_file else "")
    return WrapperOptions(
        command, ns.pid_file, status_file, ns.base_id, ns.admin_url.rstrip("/"), ns.term_wait
    )


class Wrapper:
    """The supervisor: one serving epoch, at most one starting epoch, any number draining."""

    def __init__(self, options: WrapperOptions) -> None:
        self.options = options
        self.current: Epoch | None = None
        self.pending: Epoch | None = None
        self.draining: list[Epoch] = []
        self.hup_seq = 0
        self.last_reload: LastReload | None = None
        self.last_error = ""
        self.state = WrapperState.STARTING
        self._stopping = False
        self._hup_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._workdir = Path(tempfile.mkdtemp(prefix="envoy-wrapper-"))
        self._starter = EpochStarter(options.command, self._workdir, options.base_id)

    # -- lifecycle -------------------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._done: asyncio.Future[int] = loop.create_future()
        handlers = {
            signal.SIGHUP: lambda: self._spawn_task(self._on_hup()),
            signal.SIGTERM: lambda: self._finish(0, "got SIGTERM"),
            signal.SIGINT: lambda: self._finish(0, "got SIGINT"),
            signal.SIGUSR1: self._forward_usr1,
        }
        for sig, handler in handlers.items():
            loop.add_signal_handler(sig, handler)
        try:
            self._write_pid_file()
            try:
                self.current = await self._start(0)
            except OSError as exc:
                log(f"cannot start {self.options.command[0]}: {exc}")
                return 127
            self._write_status()
            return await self._done
        finally:
            for sig in handlers:
                loop.remove_signal_handler(sig)
            await self._cleanup()

    def _write_pid_file(self) -> None:
        # temp file + rename: a symlink planted at the path is replaced, never followed (the old
        # write_text truncated the link's target), and a reader never sees half a pid
        if self.options.pid_file:
            write_atomic(self.options.pid_file, f"{os.getpid()}\n")

    async def _start(self, number: int) -> Epoch:
        epoch = await self._starter.start(number)
        log(f"started epoch {number}: pid {epoch.pid}")
        self._spawn_task(self._watch_exit(epoch))
        self._spawn_task(self._watch_ready(epoch))
        return epoch

    def _spawn_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _running(self) -> list[Epoch]:
        epochs = [*self.draining, self.current, self.pending]
        return [e for e in epochs if e is not None and e.running]

    def _finish(self, code: int, why: str) -> None:
        if self._stopping:
            return
        log(f"{why}: stopping every Envoy")
        self._stopping = True
        self.state = WrapperState.STOPPING
        self._write_status()
        self._spawn_task(self._stop_all(code))

    async def _stop_all(self, code: int) -> None:
        # the newest epochs first, their hot-restart parents after: an Envoy stopping right
        # after a reload tells its parent so, and with the parent gone it retried that once a
        # second until killed (seen: SIGTERM 60 ms after a new epoch went LIVE)
        deadline = time.monotonic() + self.options.term_wait
        newest = [e for e in (self.pending, self.current) if e is not None and e.running]
        late = await self._terminate(newest, deadline)
        late |= await self._terminate(self._running(), deadline)
        if late:
            code = code or 1
        if not self._done.done():
            self._done.set_result(code)

    async def _terminate(self, epochs: list[Epoch], deadline: float) -> bool:
        """SIGTERM `epochs` and wait for them until `deadline`, then SIGKILL the ones left;
        True when one had to be killed."""
        for epoch in epochs:
            epoch.send(signal.SIGTERM)
        waits = [asyncio.ensure_future(e.proc.wait()) for e in epochs]
        if not waits:
            return False
        _, late = await asyncio.wait(waits, timeout=max(0.0, deadline - time.monotonic()))
        if not late:
            return False
        for epoch in epochs:
            if epoch.running:
                log(f"epoch {epoch.number} (pid {epoch.pid}) ignored SIGTERM: killing it")
                epoch.send(signal.SIGKILL)
        await asyncio.wait(waits)
        return True

    async def _cleanup(self) -> None:
        for epoch in self._running():  # started while stopping, or run() failed unexpectedly
            epoch.send(signal.SIGKILL)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._starter.close()
        self.state = WrapperState.STOPPED
        self._write_status()
        if self.options.pid_file:
            with contextlib.suppress(OSError):
                os.unlink(self.options.pid_file)
        base_id = self._starter.base_id()
        if self.options.base_id is None and base_id is not None:
            shm.remove(base_id)  # the segment of a base id we let Envoy pick is ours to delete
        shutil.rmtree(self._workdir, ignore_errors=True)

    # -- epochs ----------------------------------------------------------------------------------

    async def _watch_exit(self, epoch: Epoch) -> None:
        code = await epoch.wait()
        if self._stopping:
            return
        if epoch in self.draining:
            self.draining.remove(epoch)
            log(f"old epoch {epoch.number} (pid {epoch.pid}) exited with status {code}")
            self._write_status()
        elif epoch is self.pending:
            self.pending = None
            await self._reload_failed(epoch, code)
        elif epoch is self.current:
            if self.pending is not None and code == 0:
                # Envoy shuts the parent down only once the new epoch has the listeners
                self._promote(self.pending, verified=False)
                return
            self._finish(code, f"epoch {epoch.number} (pid {epoch.pid}) exited with status {code}")

    async def _watch_ready(self, epoch: Epoch) -> None:
        started = time.monotonic()
        while epoch.running and not self._stopping and not epoch.live:
            info = await self._server_info()
            if info is not None and info.state == "LIVE" and info.epoch == epoch.number:
                self._mark_live(epoch, verified=True)
            elif not self._admin_url() and time.monotonic() - started > ADMIN_WAIT:
                log(f"epoch {epoch.number}: no admin address known; cannot check that it is LIVE")
                self._mark_live(epoch, verified=False)
            else:
                await asyncio.sleep(READY_POLL)

    def _mark_live(self, epoch: Epoch, *, verified: bool) -> None:
        if epoch is self.pending:
            self._promote(epoch, verified=verified)
            return
        epoch.live, epoch.verified = True, verified
        if epoch is self.current:
            log(f"epoch {epoch.number} (pid {epoch.pid}) is LIVE")
            self.state = WrapperState.LIVE
            self._write_status()

    def _promote(self, epoch: Epoch, *, verified: bool) -> None:
        old = self.current
        if old is not None and old.running:
            self.draining.append(old)
        self.current, self.pending = epoch, None
        epoch.live, epoch.verified = True, verified
        self.state = WrapperState.LIVE
        self._record(ReloadOutcome.LIVE, epoch.number, epoch.pid)
        log(f"epoch {epoch.number} (pid {epoch.pid}) is LIVE; the old epoch drains")
        self._write_status()

    async def _reload_failed(self, epoch: Epoch, code: int) -> None:
        current = self.current
        serving = f"epoch {current.number} (pid {current.pid})" if current else "no epoch"
        lines = [
            f"new epoch {epoch.number} (pid {epoch.pid}) exited with status {code}; "
            f"{serving} keeps serving"
        ]
        tail = epoch.stderr_tail()
        if self._clear_stale_flag(tail):
            lines.append("cleared the stale hot-restart INITIALIZING flag it left behind")
        if self._admin_url() and await self._server_info() is None:
            lines.append(
                f"{serving} no longer answers on its admin port: Envoy closes the old admin "
                "as soon as a new epoch starts; it returns with the next successful reload"
            )
        error = "\n".join([*lines, "--- stderr of the failed epoch:", tail.strip()])
        self._record(ReloadOutcome.FAILED, epoch.number, epoch.pid, error)
        self.state = WrapperState.LIVE if current and current.live else WrapperState.STARTING
        log(lines[0])
        self._write_status()

    def _clear_stale_flag(self, failed_tail: str) -> bool:
        """A child that died after passing Envoy's start-up check left the INITIALIZING bit set:
        without clearing it every later hot restart fails the same way (envoyproxy/envoy#33446)."""
        base_id = self._starter.base_id()
        if STILL_INITIALIZING in failed_tail or base_id is None:
            return False  # it never set the bit (someone else holds it)
        if shm.read_flag(base_id) is not shm.ShmFlag.INITIALIZING:
            return False
        return shm.clear_initializing(base_id)

    # -- signals ---------------------------------------------------------------------------------

    async def _on_hup(self) -> None:
        async with self._hup_lock:
            self.hup_seq += 1
            current = self.current
            number = current.number + 1 if current else 0
            refusal = await self._hup_refusal(current) if current else "Envoy is not started yet"
            if refusal:
                log(f"SIGHUP refused: {refusal}")
                self._record(ReloadOutcome.REFUSED, number, None, refusal)
                self._write_status()
                return
            try:
                self.pending = await self._start(number)
            except OSError as exc:
                self._record(ReloadOutcome.FAILED, number, None, f"cannot start epoch: {exc}")
                self._write_status()
                return
            if self._stopping:  # SIGTERM arrived while the new epoch was being started
                self.pending.send(signal.SIGTERM)
                return
            self.state = WrapperState.RESTARTING
            self._record(ReloadOutcome.STARTED, number, self.pending.pid)
            self._write_status()

    async def _hup_refusal(self, current: Epoch) -> str:
        if self._stopping:
            return "the wrapper is stopping"
        if self.pending is not None:
            return f"epoch {self.pending.number} (pid {self.pending.pid}) is still starting"
        if not current.live:
            info = await self._server_info()
            if info is not None and info.state == "LIVE" and info.epoch == current.number:
                self._mark_live(current, verified=True)
            else:
                state = info.state if info is not None else "not answering on its admin port"
                return (
                    f"epoch {current.number} is not LIVE yet ({state}); a hot restart while "
                    f"Envoy initializes fails ('{STILL_INITIALIZING}')"
                )
        base_id = self._starter.base_id()
        if base_id is None:
            return "Envoy has not written its base id yet (--base-id-path)"
        if shm.read_flag(base_id) is shm.ShmFlag.INITIALIZING:
            if not current.verified:
                return f"Envoy's hot-restart memory says an epoch is still initializing ({STILL_INITIALIZING})"
            shm.clear_initializing(base_id)  # current is LIVE and nothing else starts: stale
        return ""

    def _forward_usr1(self) -> None:
        for epoch in self._running():
            epoch.send(signal.SIGUSR1)

    # -- admin and status ------------------------------------------------------------------------

    def _admin_url(self) -> str:
        return self.options.admin_url or self._starter.admin_url_from_file()

    async def _server_info(self) -> ServerInfo | None:
        url = self._admin_url()
        return await read_server_info(self._starter.http, url) if url else None

    def _record(self, outcome: ReloadOutcome, epoch: int, pid: int | None, error: str = "") -> None:
        self.last_reload = LastReload(self.hup_seq, epoch, outcome, pid, time.time(), error)
        if error:
            self.last_error = error

    def _write_status(self) -> None:
        path = self.options.status_file
        if not path:
            return
        current = self.current
        status = WrapperStatus(
            wrapper_pid=os.getpid(),
            epoch=current.number if current else 0,
            pid=current.pid if current and current.running else None,
            state=self.state,
            hup_seq=self.hup_seq,
            base_id=self._starter.base_id(),
            admin_url=self._admin_url(),
            last_reload=self.last_reload,
            last_error=self.last_error,
            epochs=tuple((e.number, e.pid) for e in self._running()),
        )
        try:
            write_status(path, status)
        except OSError as exc:
            log(f"cannot write {path}: {exc}")


def log(message: str) -> None:
    print(f"envoy-wrapper[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        options = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"envoy-wrapper: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse: --help or a bad option
        return exc.code if isinstance(exc.code, int) else 2
    return asyncio.run(Wrapper(options).run())


if __name__ == "__main__":
    sys.exit(main())
