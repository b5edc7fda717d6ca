"""httpx over SSH: every TCP connection is a direct-tcpip channel opened by the remote sshd.

httpcore's pool takes a custom network backend, so its `trace` events (connect_tcp, TTFB) time
the remote side, and a refused connect becomes a ConnectError naming the reason (a local port
forward would only show `ReadError('')`). When sshd forbids forwarding the request runs as
`curl` on the host instead (see ssh_curl).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import asyncssh
import httpcore
import httpx
from anyio.streams.tls import TLSAttribute, TLSStream

from darc_tui.hosts._common import CLOSE_GRACE, one_line
from darc_tui.hosts.base import HostError
from darc_tui.hosts.http import VIA_EXTENSION
from darc_tui.hosts.local import shared_ssl_context
from darc_tui.hosts.ssh_curl import VIA_CURL, curl_request
from darc_tui.hosts.ssh_mux import Mux, MuxError
from darc_tui.hosts.ssh_tcp import VIA_DIRECT, VIA_HELPER, open_channel

if TYPE_CHECKING:
    from darc_tui.hosts.ssh import SshHost
    from darc_tui.hosts.ssh_link import Link

READ_CHUNK = 64 * 1024
DEFAULT_CONNECT = 10.0


class _ChannelByteStream(anyio.abc.ByteStream):
    """A direct-tcpip channel as an anyio byte stream (so anyio's TLSStream can wrap it)."""

    def __init__(self, reader: asyncssh.SSHReader[bytes], writer: asyncssh.SSHWriter[bytes]):
        self._reader, self._writer = reader, writer

    async def receive(self, max_bytes: int = READ_CHUNK) -> bytes:
        try:
            data = await self._reader.read(max_bytes)
        except (asyncssh.Error, OSError) as exc:
            raise anyio.BrokenResourceError(one_line(exc)) from exc
        if not data:
            raise anyio.EndOfStream
        return data

    async def send(self, item: bytes) -> None:
        try:
            self._writer.write(item)
            await self._writer.drain()
        except (asyncssh.Error, OSError) as exc:
            raise anyio.BrokenResourceError(one_line(exc)) from exc

    async def send_eof(self) -> None:
        with contextlib.suppress(asyncssh.Error, OSError):
            self._writer.write_eof()

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
            async with asyncio.timeout(CLOSE_GRACE):
                await self._writer.channel.wait_closed()


class _NetworkStream(httpcore.AsyncNetworkStream):
    """httpcore's view of a channel (plain or TLS-wrapped), with httpcore's timeout errors."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            with anyio.fail_after(timeout):
                try:
                    return await self._stream.receive(max_bytes)
                except anyio.EndOfStream:
                    return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped(httpcore.WriteTimeout, httpcore.WriteError), anyio.fail_after(timeout):
            await self._stream.send(buffer)

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError), anyio.fail_after(timeout):
            tls = await TLSStream.wrap(
                self._stream,
                server_side=False,
                hostname=server_hostname,
                ssl_context=ssl_context,
                standard_compatible=False,
            )
        return _NetworkStream(tls)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object" and isinstance(self._stream, TLSStream):
            return self._stream.extra(TLSAttribute.ssl_object, None)
        return None


@contextlib.contextmanager
def _mapped(
    timeout_error: type[httpcore.TimeoutException], other_error: type[httpcore.NetworkError]
) -> Iterator[None]:
    try:
        yield
    except TimeoutError as exc:
        raise timeout_error(str(exc) or "timed out") from exc
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, ssl.SSLError, OSError) as exc:
        raise other_error(one_line(exc)) from exc


async def _direct(
    conn: asyncssh.SSHClientConnection, host: str, port: int, timeout: float | None
) -> httpcore.AsyncNetworkStream:
    try:
        reader, writer = await open_channel(conn, host, port, timeout=timeout)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout("connect timeout") from exc
    except asyncssh.ChannelOpenError as exc:
        if exc.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED:
            # decided per connection that sshd forwards: this destination alone is not allowed
            raise httpcore.ConnectError("forwarding to this address prohibited by sshd") from exc
        raise httpcore.ConnectError(exc.reason) from exc
    except (asyncssh.Error, OSError) as exc:
        raise httpcore.ConnectError(f"connection lost: {one_line(exc)}") from exc
    return _NetworkStream(_ChannelByteStream(reader, writer))


async def _through_helper(
    mux: Mux, host: str, port: int, timeout: float | None
) -> httpcore.AsyncNetworkStream:
    try:
        sock, _connect_ms = await mux.connect(host, port, timeout=timeout or DEFAULT_CONNECT)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout("connect timeout") from exc
    except ConnectionError as exc:
        raise httpcore.ConnectError(str(exc)) from exc
    except MuxError as exc:
        raise httpcore.ConnectError(f"connection lost: {exc}") from exc
    return _NetworkStream(sock)


class _SshBackend(httpcore.AsyncNetworkBackend):
    """Opens each HTTP connection as a direct-tcpip channel of the host's SSH connection."""

    def __init__(self, ssh: SshHost) -> None:
        self._ssh = ssh

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            link = await self._ssh.link()
        except HostError as exc:
            raise httpcore.ConnectError(f"host down: {exc}") from exc
        if link.forwarding:
            return await _direct(link.conn, host, port, timeout)
        mux = link.live_mux()
        if mux is None:  # the transport routes such requests to curl before they get here
            raise httpcore.ConnectError("no TCP forwarding and no helper on this host")
        return await _through_helper(mux, host, port, timeout)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    # most specific first
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except httpcore.ProxyError as exc:  # never used here, but keep the hierarchy total
        raise httpx.ProxyError(str(exc)) from exc
    except Exception as exc:
        for core, mapped in _EXCEPTIONS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from exc
        raise


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


class SshHttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose connections start on the SSH host (no keep-alive: every request
    reports its own connect time)."""

    def __init__(
        self, ssh: SshHost, ssl_context: ssl.SSLContext | None = None, *, h2c: bool = False
    ) -> None:
        self._ssh = ssh
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or shared_ssl_context(),
            http1=not h2c,
            http2=h2c,
            max_keepalive_connections=0,
            network_backend=_SshBackend(ssh),
        )

    @property
    def via(self) -> str:
        link = self._ssh.current_link()
        return _route(link) if link is not None else VIA_DIRECT

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # the route is chosen before the request body is touched: a request is sent once, by
        # one route (handing the stream to httpcore first and then to curl consumed it twice)
        try:
            link = await self._ssh.link()
        except HostError as exc:
            raise httpx.ConnectError(f"host down: {exc}", request=request) from exc
        if not link.forwarding:
            connect = (request.extensions.get("timeout") or {}).get("connect") or DEFAULT_CONNECT
            if not await link.settled(connect):
                raise httpx.ConnectTimeout("the SSH helper did not start in time", request=request)
        via = _route(link)
        if via == VIA_CURL:
            return await curl_request(self._ssh, request)
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions={**response.extensions, VIA_EXTENSION: via},
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def _route(link: Link) -> str:
    """direct-tcpip when sshd forwards; else the helper's own TCP connection; else remote curl."""
    if link.forwarding:
        return VIA_DIRECT
    return VIA_HELPER if link.live_mux() is not None else VIA_CURL
