"""An SSH host (asyncssh): one supervised connection, commands with remote deadlines, streams
that always end, TCP and HTTP from the host's point of view."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncssh
import httpx

from darc_tui.config import HostConfig
from darc_tui.hosts._common import elapsed_ms, one_line, timed_out
from darc_tui.hosts.base import CommandResult, Host, HostError, LineStream, TcpResult
from darc_tui.hosts.ssh_connect import SshSettings, open_connection, resolve
from darc_tui.hosts.ssh_exec import busy, run_in_session, run_over_mux, stream_in_session
from darc_tui.hosts.ssh_link import Link, prepare
from darc_tui.hosts.ssh_mux import MuxError
from darc_tui.hosts.ssh_stream import SshStream
from darc_tui.hosts.ssh_tcp import open_tcp_over
from darc_tui.model import HostState
from darc_tui.retry import Backoff

MAX_HOPS = 4
_PROXY_JUMP = re.compile(r"^(?:(?P<user>[^@]+)@)?(?P<host>\[[^\]]+\]|[^:]+)(?::(?P<port>\d+))?$")


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
        max_sessions: int | None = None,
        ssh_config: Sequence[str] | None = None,
        backoff: Backoff = Backoff(),
        _hops: int = 0,
    ) -> None:
        self.name = config.name
        self.kind = "ssh"
        self.config = config
        self.jump = jump
        # channels darc-tui may hold on this host at once, followers included (sshd MaxSessions)
        self.max_sessions = max_sessions or config.max_sessions
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
        self._note = ""
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
                    link = await self._prepare(conn)
            except (HostError, TimeoutError) as exc:
                reason = str(exc) if isinstance(exc, HostError) else "connect timeout"
                self._failures += 1
                self._set_down(reason, self.backoff.delay(self._failures))
                raise HostError(reason) from None
            finally:
                self._connecting = False
            self._link, self._failures, self._reason, self._since = link, 0, "", time.time()
            return link

    async def _prepare(self, conn: asyncssh.SSHClientConnection) -> Link:
        """Decide forwarding, find the tools, start the helper; never leave the connection open
        when that fails or is cancelled."""
        try:
            return await prepare(conn, self.max_sessions, self._helper_lost)
        except BaseException:
            conn.abort()
            raise

    def _helper_lost(self, reason: str) -> None:
        self._note = f"multiplexer ended ({reason}); commands use one session each"

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
            detail = f"connected ({link.caps.summary()})"
            limits = link.caps.limits() if link.caps.detected else ()
            return HostState(self.name, self.kind, True, detail, self._since, limits)
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
            await link.close()
        self._reason, self._retry_at, self._failures = "", 0.0, 0
        if self._implicit_jump is not None:
            await self._implicit_jump.close()

    # -- commands -----------------------------------------------------------------------------
    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        """Through the multiplexer when it runs, else on an exec session of the budget."""
        args = tuple(argv)
        start = time.monotonic()
        try:
            link = await self.link()
        except HostError as exc:
            return CommandResult(args, None, error=f"host down: {exc}")
        if not await link.settled(timeout):
            error = f"{timed_out(timeout)} waiting for the SSH helper to start"
            return CommandResult(args, None, error=error, duration_ms=elapsed_ms(start))
        mux = link.live_mux()
        if mux is not None:
            return await run_over_mux(mux, args, timeout, input, start)
        if not await link.acquire(timeout):
            error = busy(timeout, self.max_sessions)
            return CommandResult(args, None, error=error, duration_ms=elapsed_ms(start))
        try:
            return await run_in_session(link, args, timeout, input, start)
        finally:
            link.release()

    def stream(self, argv: Sequence[str]) -> AbstractAsyncContextManager[LineStream]:
        return self._stream(tuple(argv))

    @asynccontextmanager
    async def _stream(self, argv: tuple[str, ...]) -> AsyncIterator[LineStream]:
        stream = await self._start_stream(argv)
        try:
            yield stream
        finally:
            await asyncio.shield(stream.close())

    async def _start_stream(self, argv: tuple[str, ...]) -> LineStream:
        """A started stream, or an already ended one whose `error` says why it could not start."""
        try:
            link = await self.link()
        except HostError as exc:
            return SshStream(None, error=f"host down: {exc}")
        await link.settled(self.settings.connect_timeout)
        mux = link.live_mux()
        if mux is not None:
            try:
                return mux.stream(argv)
            except MuxError as exc:
                return SshStream(None, error=f"cannot start: {exc}")
        return await stream_in_session(link, argv, self.settings.connect_timeout)

    # -- TCP and HTTP from this host ----------------------------------------------------------
    async def open_tcp(self, host: str, port: int, *, timeout: float) -> TcpResult:
        try:
            link = await self.link()
        except HostError as exc:
            return TcpResult(host, port, False, error=f"host down: {exc}", via="ssh direct-tcpip")
        return await open_tcp_over(self, link, host, port, timeout=timeout)

    def http_transport(
        self, ssl_context: ssl.SSLContext | None = None, *, h2c: bool = False
    ) -> httpx.AsyncBaseTransport:
        from darc_tui.hosts.ssh_http import SshHttpTransport

        return SshHttpTransport(self, ssl_context, h2c=h2c)


def _retrieve_exception(task: asyncio.Task[Link]) -> None:
    """Every caller may have given up on a failed attempt; the failure is in the host's state."""
    if not task.cancelled():
        task.exception()
