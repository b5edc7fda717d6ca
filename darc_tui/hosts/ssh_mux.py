"""The jump-box side of the SSH multiplexer: one exec channel running `_remote_helper.py` under the
host's python3 carries every command, follower stream and TCP connection of that host.

Why: hardened hosts forbid TCP forwarding and keep sshd's MaxSessions low; one session per command
(or per HTTP request through remote curl) ran out of sessions and starved probes. Through the helper
a host costs one session however many probes run, and HTTP still goes over a real TCP connection
made *on the host* (the helper times the connect), with TLS and HTTP spoken by darc-tui itself, so
the results match the direct-tcpip route byte for byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shlex
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import anyio
import anyio.abc
import asyncssh

from darc_tui.hosts._common import CLOSE_GRACE, TailBuffer, one_line
from darc_tui.hosts.base import LineStream

HEADER = struct.Struct(">IBI")
META = struct.Struct(">I")
CHUNK = 64 * 1024
HELLO_TIMEOUT = 10.0
KILL_AFTER = 1.0  # the helper's TERM → KILL delay for a command past its deadline
OUTPUT_LIMIT = 16 * 1024 * 1024  # stdout bytes kept per command (probes cap their own reads lower)
HELPER = "_remote_helper.py"


class MuxError(Exception):
    """The helper is gone (channel closed, connection lost) or never started. One line."""


def helper_source() -> bytes:
    return resources.files("darc_tui.hosts").joinpath(HELPER).read_bytes()


def bootstrap_command(size: int, tools: Sequence[str] = ()) -> str:
    """The exec command: python3 reads exactly `size` bytes of source from stdin and runs it; the
    same stdin then carries the frames. -I: no user site, no PYTHON* variables from the host.
    `tools`: names the helper looks up on PATH and reports in its greeting."""
    code = f"import sys;exec(sys.stdin.buffer.read({size}))"
    return " ".join(["exec python3 -I -c", shlex.quote(code), *map(shlex.quote, tools)])


@dataclass(frozen=True, slots=True)
class MuxResult:
    """One command's outcome as the helper reports it."""

    status: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    truncated: bool = False


class _Channel:
    """Frames for one id: a reply future (run, connect) and/or a data queue (stream, socket)."""

    def __init__(self) -> None:
        self.reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.data: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.exit: dict[str, Any] | None = None
        self.error = ""


class Mux:
    """A running helper. Every method raises MuxError once the helper is gone."""

    def __init__(self, process: asyncssh.SSHClientProcess[bytes], info: dict[str, Any]) -> None:
        self._process = process
        self.info = info
        self._channels: dict[int, _Channel] = {}
        self._ids = itertools.count(1)
        self._error = ""
        self._reader = asyncio.create_task(self._read_loop(), name="ssh mux reader")
        self.on_lost: Callable[[str], None] = lambda reason: None

    @classmethod
    async def start(cls, conn: asyncssh.SSHClientConnection, tools: Sequence[str] = ()) -> Mux:
        """Start the helper on one new session; MuxError when python3 is missing or silent."""
        source = helper_source()
        process: asyncssh.SSHClientProcess[bytes] | None = None
        try:
            async with asyncio.timeout(HELLO_TIMEOUT):
                process = await conn.create_process(
                    bootstrap_command(len(source), tools), encoding=None
                )
                process.stdin.write(source)
                header = await process.stdout.readexactly(HEADER.size)
                ident, kind, size = HEADER.unpack(header)
                payload = await process.stdout.readexactly(size)
                if (ident, chr(kind)) != (0, "H"):
                    raise MuxError("the helper sent something other than its greeting")
        except BaseException as exc:
            if process is not None:
                process.close()
            if isinstance(exc, asyncio.IncompleteReadError):
                raise MuxError("python3 did not start the helper") from None
            if isinstance(exc, TimeoutError):
                raise MuxError(f"no greeting from the helper within {HELLO_TIMEOUT:g}s") from None
            if isinstance(exc, asyncssh.ChannelOpenError):
                raise MuxError(f"cannot open an SSH session: {exc.reason}") from None
            if isinstance(exc, (asyncssh.Error, OSError)):
                raise MuxError(one_line(exc)) from None
            raise
        return cls(process, json.loads(payload))

    @property
    def alive(self) -> bool:
        return not self._error

    @property
    def open_channels(self) -> int:
        return len(self._channels)

    # -- frames ---------------------------------------------------------------------------------
    def _send(self, ident: int, kind: str, payload: bytes = b"") -> None:
        if self._error:
            raise MuxError(self._error)
        try:
            self._process.stdin.write(HEADER.pack(ident, ord(kind), len(payload)) + payload)
        except (asyncssh.Error, OSError) as exc:
            self._fail(f"helper channel lost: {one_line(exc)}")
            raise MuxError(self._error) from None

    async def _read_loop(self) -> None:
        stdout = self._process.stdout
        try:
            while True:
                ident, kind, size = HEADER.unpack(await stdout.readexactly(HEADER.size))
                payload = await stdout.readexactly(size) if size else b""
                self._dispatch(ident, chr(kind), payload)
        except asyncio.IncompleteReadError:
            self._fail("the helper exited")
        except (asyncssh.Error, OSError) as exc:
            self._fail(f"helper channel lost: {one_line(exc)}")

    def _dispatch(self, ident: int, kind: str, payload: bytes) -> None:
        channel = self._channels.get(ident)
        if channel is None:
            return  # a late frame for something we already gave up on
        if kind in ("r", "c"):
            if not channel.reply.done():
                channel.reply.set_result(payload)
        elif kind == "D":
            channel.data.put_nowait(payload)
        elif kind == "E":
            channel.data.put_nowait(None)
        elif kind == "x":
            channel.exit = json.loads(payload)
            channel.data.put_nowait(None)

    def _fail(self, reason: str) -> None:
        if self._error:
            return
        self._error = reason
        for channel in self._channels.values():
            channel.error = reason
            if not channel.reply.done():
                channel.reply.set_exception(MuxError(reason))
                channel.reply.exception()  # streams and sockets never await it: not an error
            channel.data.put_nowait(None)
        self.on_lost(reason)

    def _open(self) -> tuple[int, _Channel]:
        if self._error:
            raise MuxError(self._error)
        ident = next(self._ids)
        channel = self._channels[ident] = _Channel()
        return ident, channel

    def _forget(self, ident: int, *, kill: bool) -> None:
        if self._channels.pop(ident, None) is not None and kill and not self._error:
            with contextlib.suppress(MuxError):
                self._send(ident, "K")

    def credit(self, ident: int) -> None:
        if ident in self._channels and not self._error:
            with contextlib.suppress(MuxError):
                self._send(ident, "A")

    # -- what the host offers -------------------------------------------------------------------
    async def run(
        self, argv: Sequence[str], *, timeout: float, input: bytes | None = None
    ) -> MuxResult:
        """Run argv on the host with a deadline the helper enforces (it kills the process group)."""
        ident, channel = self._open()
        meta = json.dumps({"argv": list(argv), "timeout": timeout, "limit": OUTPUT_LIMIT})
        head = meta.encode()
        done = False
        try:
            self._send(ident, "R", META.pack(len(head)) + head + (input or b""))
            try:
                async with asyncio.timeout(timeout + KILL_AFTER + CLOSE_GRACE):
                    payload = await channel.reply
            except TimeoutError:
                # the helper itself is stuck (host frozen): answer now, the keepalive decides later
                return MuxResult(None, b"", b"", timed_out=True)
            done = True
        finally:
            self._forget(ident, kill=not done)
        return _result(payload)

    async def connect(self, host: str, port: int, *, timeout: float) -> tuple[MuxSocket, float]:
        """A TCP connection made by the helper; (socket, connect_ms). OSError-like failures come
        back as ConnectionError(reason) with sshd-like wording ("Connection refused")."""
        ident, channel = self._open()
        meta = json.dumps({"host": host, "port": port, "timeout": timeout}).encode()
        ok = False
        try:
            self._send(ident, "C", meta)
            async with asyncio.timeout(timeout + CLOSE_GRACE):
                answer = json.loads(await channel.reply)
            if not answer.get("ok"):
                raise ConnectionError(str(answer.get("error") or "connect failed"))
            ok = True
            return MuxSocket(self, ident, channel), float(answer.get("ms") or 0.0)
        finally:
            if not ok:
                self._forget(ident, kill=True)

    def stream(self, argv: Sequence[str]) -> MuxStream:
        """A follower (tail -F, journalctl -f) running under the helper; closing it kills it."""
        ident, channel = self._open()
        self._send(ident, "S", json.dumps({"argv": list(argv)}).encode())
        return MuxStream(self, ident, channel)

    async def close(self) -> None:
        """EOF on the helper's stdin: it kills everything it started and exits."""
        self._fail("closed")
        process = self._process
        with contextlib.suppress(asyncssh.Error, OSError):
            process.stdin.write_eof()
        process.close()
        with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
            async with asyncio.timeout(CLOSE_GRACE):
                await process.wait_closed()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def _result(payload: bytes) -> MuxResult:
    (size,) = META.unpack(payload[: META.size])
    meta = json.loads(payload[META.size : META.size + size])
    body = payload[META.size + size :]
    out_len = int(meta["out"])
    status = meta.get("status")
    return MuxResult(
        status if isinstance(status, int) else None,
        body[:out_len],
        body[out_len:],
        timed_out=bool(meta.get("timed_out")),
        truncated=bool(meta.get("truncated")),
    )


class MuxSocket(anyio.abc.ByteStream):
    """A TCP connection the helper holds, as an anyio byte stream (TLS can wrap it)."""

    def __init__(self, mux: Mux, ident: int, channel: _Channel) -> None:
        self._mux, self._ident, self._channel = mux, ident, channel
        self._pending = b""
        self._eof = False

    async def receive(self, max_bytes: int = CHUNK) -> bytes:
        if not self._pending and not self._eof:
            chunk = await self._channel.data.get()
            if chunk is None:
                self._eof = True
            else:
                self._pending = chunk
                self._mux.credit(self._ident)
        if not self._pending:
            if self._channel.error and self._channel.error != "closed":
                raise anyio.BrokenResourceError(self._channel.error)
            raise anyio.EndOfStream
        data, self._pending = self._pending[:max_bytes], self._pending[max_bytes:]
        return data

    async def send(self, item: bytes) -> None:
        try:
            for at in range(0, len(item), CHUNK):
                self._mux._send(self._ident, "D", item[at : at + CHUNK])
        except MuxError as exc:
            raise anyio.BrokenResourceError(str(exc)) from exc
        with contextlib.suppress(asyncssh.Error, OSError):
            await self._mux._process.stdin.drain()

    async def send_eof(self) -> None:
        with contextlib.suppress(MuxError):
            self._mux._send(self._ident, "E")

    async def aclose(self) -> None:
        self._mux._forget(self._ident, kill=True)


class MuxStream(LineStream):
    """stdout chunks of a follower run by the helper; stderr and exit status at the end."""

    def __init__(self, mux: Mux, ident: int, channel: _Channel) -> None:
        self._mux, self._ident, self._channel = mux, ident, channel
        self._closed = False
        self._stderr = TailBuffer()
        self._exit_status: int | None = None
        self._error = ""
        self.on_close: Callable[[], None] = lambda: None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self._closed:
            chunk = await self._channel.data.get()
            if chunk is None:
                break
            self._mux.credit(self._ident)
            yield chunk
        if self._closed:
            return
        exit_info = self._channel.exit
        if exit_info is None:
            self._error = f"connection lost: {self._channel.error or 'helper gone'}"
            return
        self._stderr.add(str(exit_info.get("stderr") or "").encode())
        status = exit_info.get("status")
        self._exit_status = status if isinstance(status, int) else None

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._mux._forget(self._ident, kill=True)
        self._channel.data.put_nowait(None)  # wake a reader waiting for the next chunk
        self.on_close()

    @property
    def stderr_text(self) -> str:
        return self._stderr.text()

    @property
    def exit_status(self) -> int | None:
        return self._exit_status

    @property
    def error(self) -> str:
        return self._error
