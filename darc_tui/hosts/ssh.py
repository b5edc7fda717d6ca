"""An SSH host (asyncssh): one supervised connection, commands with remote deadlines, streams
that always end, TCP and HTTP from the host's point of view."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

import asyncssh
import httpx

from darc_tui.config import HostConfig
from darc_tui.hosts._common import CLOSE_GRACE, elapsed_ms, one_line, timed_out
from darc_tui.hosts.base import CommandResult, Host, HostError, LineStream, TcpResult, shell_join
from darc_tui.hosts.ssh_connect import SshSettings, open_connection, resolve
from darc_tui.hosts.ssh_stream import SshStream, lifeline_command
from darc_tui.hosts.ssh_tcp import open_tcp_over
from darc_tui.model import HostState
from darc_tui.retry import Backoff

DEFAULT_MAX_SESSIONS = 8  # below sshd's default MaxSessions 10 (the 11th fails: "open failed")
MAX_HOPS = 4
REMOTE_KILL_AFTER = 1  # seconds between the remote timeout's TERM and its KILL
_PROXY_JUMP = re.compile(r"^(?:(?P<user>[^@]+)@)?(?P<host>\[[^\]]+\]|[^:]+)(?::(?P<port>\d+))?$")


@dataclass(eq=False)
class Link:
    """One live connection and the session slots it has left."""

    conn: asyncssh.SSHClientConnection
    sessions: asyncio.Semaphore
    forwarding: bool = True  # False once sshd said direct-tcpip is administratively prohibited
    closed: bool = False
    opened_at: float = field(default_factory=time.time)

    def usable(self) -> bool:
        return not self.closed and not self.conn.is_closed()


class SshHost(Host):
    """A host reached over SSH; reconnects by itself, with backoff, on first use after a drop."""

    def __init__(
        self,
        config: HostConfig,
        *,
        jump: SshHost | None = None,
        connect_timeout: float = 10.0,
        keepalive_interval: float = 10.0,
        keepalive_count_max: int = 3,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        ssh_config: Sequence[str] | None = None,
        backoff: Backoff = Backoff(),
        _hops: int = 0,
    ) -> None:
        self.name = config.name
        self.kind = "ssh"
        self.config = config
        self.jump = jump
        self.max_sessions = max_sessions
        self.backoff = backoff
        self.settings = SshSettings(
            connect_timeout,
            keepalive_interval,
            keepalive_count_max,
            None if ssh_config is None else tuple(ssh_config),
        )
        self._link: Link | None = None
        self._lock = asyncio.Lock()
        self._attempt: asyncio.Task[Link] | None = None
        self._connecting = False
        self._failures = 0
        self._reason = ""
        self._retry_at = 0.0
        self._since = time.time()
        self._implicit_jump: SshHost | None = None  # from the ssh config's ProxyJump
        self._hops = _hops

    # -- the connection supervisor ------------------------------------------------------------
    async def connect(self) -> None:
        await self.link()

    async def link(self) -> Link:
        """The live connection, connecting first if allowed; HostError while down.

        The attempt runs in its own task: a caller that gives up (a probe's deadline) does not
        abort it, so a slow handshake still completes and a failure still starts the backoff.
        """
        link = self.current_link()
        if link is not None:
            return link
        if self._attempt is None or self._attempt.done():
            if self._reason and time.monotonic() < self._retry_at:
                raise HostError(self._down_text())
            self._attempt = asyncio.create_task(self._open_link(), name=f"ssh connect {self.name}")
            self._attempt.add_done_callback(_retrieve_exception)
        return await asyncio.shield(self._attempt)

    def current_link(self) -> Link | None:
        """The live connection if there is one (never connects)."""
        link = self._link
        return link if link is not None and link.usable() else None

    async def _open_link(self) -> Link:
        async with self._lock:  # belt and braces: never two handshakes for one host
            self._connecting = True
            try:
                async with asyncio.timeout(self.settings.connect_timeout * (self._hops + 2)):
                    conn = await self._open()
            except (HostError, TimeoutError) as exc:
                reason = str(exc) if isinstance(exc, HostError) else "connect timeout"
                self._failures += 1
                self._set_down(reason, self.backoff.delay(self._failures))
                raise HostError(reason) from None
            finally:
                self._connecting = False
            link = Link(conn, asyncio.Semaphore(self.max_sessions))
            self._link, self._failures, self._reason, self._since = link, 0, "", time.time()
            return link

    async def _open(self) -> asyncssh.SSHClientConnection:
        resolved = await resolve(self.config, self.settings)
        jump = self.jump or self._jump_from_ssh_config(resolved.proxy_jump)
        tunnel = None
        if jump is not None:
            try:
                tunnel = (await jump.link()).conn
            except HostError as exc:
                raise HostError(f"jump host {jump.name}: {exc}") from None
        holder: list[asyncssh.SSHClientConnection] = []
        conn = await open_connection(
            self.config,
            resolved,
            self.settings,
            tunnel=tunnel,
            on_lost=lambda exc: self._lost(holder[0] if holder else None, exc),
        )
        holder.append(conn)
        return conn

    def _jump_from_ssh_config(self, proxy_jump: str) -> SshHost | None:
        """Open the ssh config's ProxyJump ourselves so each hop gets our known_hosts + keepalive."""
        if not proxy_jump:
            return None
        if self._implicit_jump is None:
            if self._hops >= MAX_HOPS:
                raise HostError(f"ProxyJump chain longer than {MAX_HOPS} (a loop in ssh config?)")
            jump: SshHost | None = None
            for spec in proxy_jump.split(","):
                jump = SshHost(
                    self._hop_config(spec.strip()),
                    jump=jump,
                    connect_timeout=self.settings.connect_timeout,
                    keepalive_interval=self.settings.keepalive_interval,
                    keepalive_count_max=self.settings.keepalive_count_max,
                    ssh_config=self.settings.ssh_config,
                    backoff=self.backoff,
                    _hops=self._hops + 1,
                )
            self._implicit_jump = jump
        return self._implicit_jump

    def _hop_config(self, spec: str) -> HostConfig:
        match = _PROXY_JUMP.match(spec)
        if match is None:
            raise HostError(f"ssh config: cannot parse ProxyJump {spec!r}")
        return HostConfig(
            name=f"{self.name}-jump",
            address=match["host"].strip("[]"),
            user=match["user"] or "",
            port=int(match["port"] or 22),
            known_hosts=self.config.known_hosts,
        )

    def _lost(self, conn: asyncssh.SSHClientConnection | None, exc: Exception | None) -> None:
        link = self._link
        if link is None or conn is None or link.conn is not conn:
            return  # an older connection, or one that never became the link
        link.closed = True
        self._link = None
        self._set_down(f"connection lost: {one_line(exc)}" if exc else "closed", 0.0)

    def _set_down(self, reason: str, retry_in: float) -> None:
        self._reason = reason
        self._retry_at = time.monotonic() + retry_in
        self._since = time.time()

    def _down_text(self) -> str:
        wait = self._retry_at - time.monotonic()
        return f"{self._reason}, retry in {math.ceil(wait)}s" if wait > 0 else self._reason

    def state(self) -> HostState:
        link = self._link
        if link is not None and link.usable():
            return HostState(self.name, self.kind, True, "connected", since=self._since)
        if self._connecting:
            return HostState(self.name, self.kind, False, "connecting", since=self._since)
        if self._reason:
            detail = f"down: {self._down_text()}"
            return HostState(self.name, self.kind, False, detail, since=self._since)
        return HostState(self.name, self.kind, False, "not connected yet", since=self._since)

    async def close(self) -> None:
        attempt, self._attempt = self._attempt, None
        if attempt is not None and not attempt.done():
            attempt.cancel()
            with contextlib.suppress(asyncio.CancelledError, HostError):
                await attempt
        link, self._link = self._link, None
        if link is not None:
            link.closed = True
            link.conn.close()
            with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
                async with asyncio.timeout(CLOSE_GRACE):
                    await link.conn.wait_closed()
        self._reason, self._retry_at, self._failures = "", 0.0, 0
        if self._implicit_jump is not None:
            await self._implicit_jump.close()

    # -- commands -----------------------------------------------------------------------------
    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        args = tuple(argv)
        start = time.monotonic()
        try:
            link = await self.link()
        except HostError as exc:
            return CommandResult(args, None, error=f"host down: {exc}")
        try:
            async with asyncio.timeout(timeout):
                await link.sessions.acquire()
        except TimeoutError:
            error = (
                f"{timed_out(timeout)} waiting for a free SSH session ({self.max_sessions} in use)"
            )
            return CommandResult(args, None, error=error, duration_ms=elapsed_ms(start))
        try:
            return await self._run_in_session(link, args, timeout, input, start)
        finally:
            link.sessions.release()

    async def _run_in_session(
        self,
        link: Link,
        args: tuple[str, ...],
        timeout: float,
        input: bytes | None,
        start: float,
    ) -> CommandResult:
        # coreutils `timeout` ends the remote command by itself: asyncssh's timeout alone would
        # leave it running and holding a MaxSessions slot
        command = f"timeout -k {REMOTE_KILL_AFTER} {timeout:g} {shell_join(args)}"
        error = ""
        try:
            async with asyncio.timeout(timeout + REMOTE_KILL_AFTER + CLOSE_GRACE):
                status, out, err = await _run_process(link.conn, command, input)
        except TimeoutError:
            error = timed_out(timeout)
        except asyncssh.ChannelOpenError as exc:
            error = f"cannot open an SSH session: {exc.reason}"
        except (asyncssh.Error, OSError) as exc:
            error = f"connection lost: {one_line(exc)}"
        duration = elapsed_ms(start)
        if error:
            return CommandResult(args, None, error=error, duration_ms=duration)
        if status in (124, 128 + 9) and duration >= timeout * 1000 * 0.9:
            return CommandResult(args, None, out, err, timed_out(timeout), duration)
        return CommandResult(args, status, out, err, duration_ms=duration)

    def stream(self, argv: Sequence[str]) -> AbstractAsyncContextManager[LineStream]:
        return self._stream(tuple(argv))

    @asynccontextmanager
    async def _stream(self, argv: tuple[str, ...]) -> AsyncIterator[LineStream]:
        stream = await self._start_stream(argv)
        try:
            yield stream
        finally:
            await asyncio.shield(stream.close())

    async def _start_stream(self, argv: tuple[str, ...]) -> SshStream:
        """A started stream, or an already ended one whose `error` says why it could not start."""
        try:
            link = await self.link()
        except HostError as exc:
            return SshStream(None, error=f"host down: {exc}")
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await link.sessions.acquire()
        except TimeoutError:
            return SshStream(None, error=f"no free SSH session ({self.max_sessions} in use)")
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                process = await link.conn.create_process(lifeline_command(argv), encoding=None)
        except (TimeoutError, asyncssh.Error, OSError) as exc:
            link.sessions.release()
            reason = exc.reason if isinstance(exc, asyncssh.ChannelOpenError) else one_line(exc)
            return SshStream(None, error=f"cannot start: {reason}")
        return SshStream(process, on_close=link.sessions.release)

    # -- TCP and HTTP from this host ----------------------------------------------------------
    async def open_tcp(self, host: str, port: int, *, timeout: float) -> TcpResult:
        try:
            link = await self.link()
        except HostError as exc:
            return TcpResult(host, port, False, error=f"host down: {exc}", via="ssh direct-tcpip")
        return await open_tcp_over(self, link, host, port, timeout=timeout)

    def http_transport(self) -> httpx.AsyncBaseTransport:
        from darc_tui.hosts.ssh_http import SshHttpTransport

        return SshHttpTransport(self)


def _retrieve_exception(task: asyncio.Task[Link]) -> None:
    """Every caller may have given up on a failed attempt; the failure is in the host's state."""
    if not task.cancelled():
        task.exception()


async def _run_process(
    conn: asyncssh.SSHClientConnection, command: str, input: bytes | None
) -> tuple[int | None, bytes, bytes]:
    async with conn.create_process(command, encoding=None) as process:
        if not input:
            process.stdin.write_eof()  # commands that read stdin must not wait for more
        out, err = await process.communicate(input or None)
        return process.returncode, out or b"", err or b""
