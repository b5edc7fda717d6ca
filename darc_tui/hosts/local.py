"""The jump box itself: subprocesses in their own process group, plain sockets, plain httpx."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from typing import Any

import httpx

from darc_tui.errors import ErrorKind, classify
from darc_tui.hosts._common import (
    CLOSE_GRACE,
    OUTPUT_LIMIT,
    STDERR_LIMIT,
    TailBuffer,
    classify_os_error,
    elapsed_ms,
    one_line,
    read_capped,
    timed_out,
    too_large,
)
from darc_tui.hosts.base import CommandResult, Host, LineStream, TcpResult
from darc_tui.model import HostState

READ_CHUNK = 64 * 1024
KEEPALIVE_EXPIRY = 5.0  # seconds an idle kept-alive connection waits for the next request


class LazyCaContext(ssl.SSLContext):
    """httpx's default verifying context (`ssl.create_default_context(cafile=certifi.where())`)
    whose CA bundle is loaded at its first TLS connection: loading it took 50–70 ms of every
    `check` and console start, for sites probed over plain HTTP too."""

    _ca_loaded = False

    def _load_ca(self) -> None:
        if not self._ca_loaded:
            import certifi

            self.load_verify_locations(cafile=certifi.where())
            self._ca_loaded = True

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:  # asyncio / anyio TLS
        self._load_ca()
        return super().wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._load_ca()
        return super().wrap_socket(*args, **kwargs)


@cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying SSL context for every transport (the CA bundle, ~1 MB, loaded once, when
    the first TLS connection needs it)."""
    context = LazyCaContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificate and host name
    keylog = os.environ.get("SSLKEYLOGFILE")  # as ssl.create_default_context does
    if keylog and hasattr(context, "keylog_filename"):
        context.keylog_filename = keylog
    return context


def timing_transport(
    ssl_context: ssl.SSLContext | None = None, *, h2c: bool = False
) -> httpx.AsyncHTTPTransport:
    """A transport that never reuses connections, so every request reports its own connect time."""
    return httpx.AsyncHTTPTransport(
        verify=ssl_context or shared_ssl_context(),
        http1=not h2c,
        http2=h2c,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def keepalive_transport() -> httpx.AsyncHTTPTransport:
    """A transport that keeps idle connections open for the next poll (a few seconds only)."""
    return httpx.AsyncHTTPTransport(
        verify=shared_ssl_context(),
        limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=KEEPALIVE_EXPIRY),
    )


def _kill_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    """Signal the whole process group (we started it with start_new_session): pipelines die too."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


async def _end_process(proc: asyncio.subprocess.Process) -> None:
    """TERM the group, then KILL it if it does not go within the grace period."""
    _kill_group(proc, signal.SIGTERM)
    try:
        async with asyncio.timeout(CLOSE_GRACE):
            await proc.wait()
    except TimeoutError:
        _kill_group(proc, signal.SIGKILL)
        await proc.wait()
    # children that ignored TERM and outlived the leader still share its group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _communicate(
    proc: asyncio.subprocess.Process, input: bytes | None
) -> tuple[bytes, bytes, bool]:
    """stdout (at most OUTPUT_LIMIT: beyond it the process group is killed) and stderr's head."""
    assert proc.stdout is not None and proc.stderr is not None
    if input is not None and proc.stdin is not None:
        proc.stdin.write(input)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await proc.stdin.drain()
        proc.stdin.close()
    stdout = proc.stdout

    async def read_stdout() -> tuple[bytes, bool]:
        out, cut = await read_capped(stdout, OUTPUT_LIMIT)
        if cut:  # end it now: its stderr stays open (and drained) until it is gone
            _kill_group(proc, signal.SIGKILL)
        return out, cut

    (out, cut), (err, _) = await asyncio.gather(
        read_stdout(), read_capped(proc.stderr, STDERR_LIMIT, drain=True)
    )
    if cut:
        await _reap(proc)
    else:
        await proc.wait()
    return out, err, cut


async def _reap(proc: asyncio.subprocess.Process) -> None:
    """KILL the group and wait for it, boundedly: a child that escaped the group may hold a pipe."""
    _kill_group(proc, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_GRACE):
            await proc.wait()
    # a child that left the group may still hold our pipes: close them (no public close exists)
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


def _spawn_error(argv: Sequence[str], exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {argv[0] if argv else ''}"
    if isinstance(exc, PermissionError):
        return f"permission denied: {argv[0] if argv else ''}"
    return f"cannot start {argv[0] if argv else 'command'}: {one_line(exc)}"


class LocalHost(Host):
    """Runs commands and opens connections on the machine darc-tui runs on."""

    def __init__(self, name: str = "local") -> None:
        self.name = name
        self.kind = "local"
        self._since = time.time()

    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> CommandResult:
        args = tuple(argv)
        start = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL if input is None else asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return CommandResult(args, None, error=_spawn_error(args, exc))
        try:
            async with asyncio.timeout(timeout):
                out, err, cut = await _communicate(proc, input)
        except TimeoutError:
            await _reap(proc)
            return CommandResult(
                args, None, error=timed_out(timeout), duration_ms=elapsed_ms(start)
            )
        except BaseException:
            _kill_group(proc, signal.SIGKILL)
            raise
        if cut:  # e.g. `cat` of a path that is /dev/zero: bounded, and said so
            return CommandResult(
                args, None, out, err, error=too_large(OUTPUT_LIMIT), duration_ms=elapsed_ms(start)
            )
        return CommandResult(args, proc.returncode, out, err, duration_ms=elapsed_ms(start))

    def stream(self, argv: Sequence[str]) -> AbstractAsyncContextManager[LineStream]:
        return _local_stream(tuple(argv))

    async def open_tcp(self, host: str, port: int, *, timeout: float) -> TcpResult:
        start = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                _, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as exc:
            kind = ErrorKind.CONNECT_TIMEOUT if isinstance(exc, TimeoutError) else classify(exc)
            error = classify_os_error(exc)
            return TcpResult(host, port, False, error=error, via="socket", error_kind=kind)
        connect_ms = elapsed_ms(start)
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_GRACE):
                await writer.wait_closed()
        return TcpResult(host, port, True, connect_ms=connect_ms, via="socket")

    def http_transport(
        self, ssl_context: ssl.SSLContext | None = None, *, h2c: bool = False
    ) -> httpx.AsyncBaseTransport:
        return timing_transport(ssl_context, h2c=h2c)

    def keepalive_transport(self) -> httpx.AsyncBaseTransport:
        return keepalive_transport()

    def state(self) -> HostState:
        return HostState(self.name, self.kind, True, "local", since=self._since)


class _LocalStream(LineStream):
    """stdout chunks of one local process; stderr is collected on the side."""

    def __init__(self, proc: asyncio.subprocess.Process | None, error: str = "") -> None:
        self._proc = proc
        self._error = error
        self._stderr = TailBuffer()
        self._closed = False
        self._stderr_task: asyncio.Task[None] | None = None
        if proc is not None and proc.stderr is not None:
            self._stderr_task = asyncio.create_task(self._drain_stderr(proc.stderr))

    async def _drain_stderr(self, reader: asyncio.StreamReader) -> None:
        while chunk := await reader.read(READ_CHUNK):
            self._stderr.add(chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        proc = self._proc
        if proc is None or proc.stdout is None:
            return
        while not self._closed:
            chunk = await proc.stdout.read(READ_CHUNK)
            if not chunk:
                break
            yield chunk
        if not self._closed:
            # stdout closed; the process normally exits with it (one that lingers is killed
            # when the stream is closed)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_GRACE):
                    await proc.wait()
                    if self._stderr_task is not None:
                        await self._stderr_task

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._proc is not None:
            await _end_process(self._proc)
        if self._stderr_task is not None:
            self._stderr_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stderr_task

    @property
    def stderr_text(self) -> str:
        return self._stderr.text()

    @property
    def exit_status(self) -> int | None:
        return None if self._proc is None else self._proc.returncode

    @property
    def error(self) -> str:
        return self._error


@asynccontextmanager
async def _local_stream(argv: tuple[str, ...]) -> AsyncIterator[LineStream]:
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        stream = _LocalStream(None, _spawn_error(argv, exc))
    else:
        stream = _LocalStream(proc)
    try:
        yield stream
    finally:
        await asyncio.shield(stream.close())
