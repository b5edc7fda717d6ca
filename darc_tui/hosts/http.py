"""One HTTP request from a host's point of view, with curl-like timings, as a value (never raises)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from darc_tui import __version__
from darc_tui.errors import ErrorKind, classify
from darc_tui.hosts._common import one_line, timed_out
from darc_tui.hosts.base import Host, HostError
from darc_tui.sanitize import clean, clean_block

BODY_LIMIT = 64 * 1024
# Transports that do not speak HTTP themselves (the remote-curl fallback) put these on the response.
VIA_EXTENSION = "darc_via"
TIMINGS_EXTENSION = "darc_timings"  # {"connect_ms": float|None, "ttfb_ms": …, "total_ms": …}
# Sent with every request darc-tui makes, so Envoy's access log can tell its probes from real
# traffic (darc_tui.logs.window counts them apart); a caller's own User-Agent wins.
USER_AGENT_PRODUCT = "darc-tui"
USER_AGENT = f"{USER_AGENT_PRODUCT}/{__version__}"


@dataclass(frozen=True, slots=True)
class HttpResult:
    """What one request saw. `error` is "" or one line ("connection refused", "read timeout", …).

    connect_ms is the TCP connect, ttfb_ms runs from sending the request to the response headers
    (server think time + one round trip), total_ms covers the whole request incl. the body read.
    """

    url: str
    method: str
    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""  # at most the first 64 KiB
    connect_ms: float | None = None
    ttfb_ms: float | None = None
    total_ms: float | None = None
    error: str = ""
    via: str = ""  # "httpx" (local), "ssh direct-tcpip", "remote curl"
    observed_at: float = field(default_factory=time.time)
    error_kind: ErrorKind | None = None  # what kind of failure `error` is; None when answered

    def __post_init__(self) -> None:
        # header values are outside text: httpx decodes bytes 0x80-0x9f as C1 controls (latin-1)
        headers = tuple((clean(k), clean(v)) for k, v in self.headers)
        if any(a != b for a, b in zip(headers, self.headers, strict=True)):
            object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "error", clean(self.error))

    @property
    def ok(self) -> bool:
        """An HTTP answer arrived (any status)."""
        return not self.error and self.status is not None

    def header(self, name: str) -> str | None:
        """The first value of a response header (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def text(self) -> str:
        return clean_block(self.body.decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class TlsIdentity:
    """Whom a request claims to talk to, like `curl --connect-to`: the TLS server name (SNI, and
    the name the certificate must carry) and the SSL context that verifies it."""

    sni: str = ""  # "" = the URL's host
    ssl_context: ssl.SSLContext | None = None  # None = the host's default (system CAs)


class Trace:
    """httpcore trace callback (must be async with AsyncClient) recording when each phase happened."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        self.marks.setdefault(event, time.monotonic())

    def span_ms(self, start_event: str, end_event: str) -> float | None:
        start, end = self.marks.get(start_event), self.marks.get(end_event)
        if start is None or end is None:
            return None
        return (end - start) * 1000.0

    @property
    def reused(self) -> bool:
        """The request went out on a kept-alive connection (httpcore opened none for it)."""
        return not any(e.startswith("connection.connect_") for e in self.marks)

    def connect_ms(self) -> float | None:
        return self.span_ms("connection.connect_tcp.started", "connection.connect_tcp.complete")

    def ttfb_ms(self) -> float | None:
        for proto in ("http11", "http2"):
            ms = self.span_ms(
                f"{proto}.send_request_headers.started",
                f"{proto}.receive_response_headers.complete",
            )
            if ms is not None:
                return ms
        return None


async def http_request(
    host: Host,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    tls: TlsIdentity | None = None,
    h2c: bool = False,
) -> HttpResult:
    """`method url` from `host`. Each phase waits up to `timeout`; the whole request at most
    2 × timeout + 1 s (room for a remote curl to report its own timeout first)."""
    budget = 2 * timeout + 1.0
    sent = httpx.Headers({"User-Agent": USER_AGENT})
    sent.update(headers or {})
    context = tls.ssl_context if tls is not None else None
    own_context = context is not None or h2c
    if own_context:  # a listener's own CA, or HTTP/2 only: a client of its own, closed after
        client = httpx.AsyncClient(
            transport=host.http_transport(context, h2c=h2c),
            trust_env=False,
            follow_redirects=False,
        )
    else:
        client = host.shared_client(keepalive=False)  # a fresh connection: connect_ms is measured
    transport = client_transport(client)
    trace = Trace()
    extensions: dict[str, Any] = {"trace": trace}
    if tls is not None and tls.sni:
        extensions["sni_hostname"] = tls.sni  # httpcore: the TLS server name, not the URL's host
    try:
        async with asyncio.timeout(budget), contextlib.AsyncExitStack() as stack:
            if own_context:
                await stack.enter_async_context(client)
            await host.connect()  # an SSH handshake must not count as the request's connect time
            start = time.monotonic()
            async with client.stream(
                method,
                url,
                headers=sent,
                timeout=httpx.Timeout(timeout),
                extensions=extensions,
            ) as response:
                body = await _read_limited(response)
            total_ms = (time.monotonic() - start) * 1000.0
    except TimeoutError:
        error, kind = timed_out(budget), _budget_kind(trace)
        return HttpResult(url, method, None, error=error, via=_via(transport), error_kind=kind)
    except HostError as exc:
        error, kind = f"host down: {exc}", ErrorKind.HOST_DOWN
        return HttpResult(url, method, None, error=error, via=_via(transport), error_kind=kind)
    except httpx.HTTPError as exc:
        return HttpResult(
            url,
            method,
            None,
            connect_ms=trace.connect_ms(),
            error=describe_http_error(exc),
            via=_via(transport),
            error_kind=classify(exc),
        )
    extra = response.extensions
    timings = extra.get(TIMINGS_EXTENSION) or {}
    return HttpResult(
        url,
        method,
        response.status_code,
        headers=tuple((k, v) for k, v in response.headers.multi_items()),
        body=body,
        connect_ms=timings.get("connect_ms", trace.connect_ms()),
        ttfb_ms=timings.get("ttfb_ms", trace.ttfb_ms()),
        total_ms=timings.get("total_ms", total_ms),
        via=str(extra.get(VIA_EXTENSION) or _via(transport)),
    )


def client_transport(client: httpx.AsyncClient) -> httpx.AsyncBaseTransport:
    """The transport a client sends through (httpx keeps it private; its `via` says the path)."""
    transport: httpx.AsyncBaseTransport = getattr(client, "_transport")  # noqa: B009
    return transport


def _budget_kind(trace: Trace) -> ErrorKind:
    """The whole-request deadline ran out: before the TCP connect finished, or after."""
    if "connection.connect_tcp.complete" in trace.marks:
        return ErrorKind.READ_TIMEOUT
    if "connection.connect_tcp.started" in trace.marks:
        return ErrorKind.CONNECT_TIMEOUT
    return ErrorKind.TIMEOUT


def _via(transport: httpx.AsyncBaseTransport) -> str:
    """How the transport reaches the server right now ("ssh direct-tcpip", "remote curl")."""
    return str(getattr(transport, "via", "httpx"))


async def _read_limited(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= BODY_LIMIT:
            break
    return bytes(body[:BODY_LIMIT])


def describe_http_error(exc: httpx.HTTPError) -> str:
    """An httpx exception as the one-line wording probes show ("connection refused", …)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return "read timeout"
    if isinstance(exc, httpx.WriteTimeout):
        return "write timeout"
    if isinstance(exc, httpx.PoolTimeout):
        return "pool timeout"
    message = one_line(exc)
    lowered = message.lower()
    if isinstance(exc, httpx.ConnectError):
        if lowered.startswith("host down:"):
            # the SSH host itself is unusable: its own reason must not read as the target's
            return message
        # anyio's happy eyeballs says "All connection attempts failed"; the cause has the errno
        os_error = _innermost_os_error(exc)
        if isinstance(os_error, ssl.SSLError):
            return f"tls error: {message}"
        if isinstance(os_error, socket.gaierror):
            return f"name resolution failed: {os_error.strerror}"
        if os_error is not None:
            return _CONNECT_ERRNO.get(os_error.errno or 0, f"connect error: {one_line(os_error)}")
        if lowered.startswith("tls error"):
            return message
        if "ssl" in lowered or "certificate" in lowered:
            return f"tls error: {message}"
        for needle, wording in _CONNECT_WORDING:
            if needle in lowered:
                return wording
        return f"connect error: {message}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"protocol error: {message}"
    if isinstance(exc, httpx.ReadError):
        return "connection reset" if "reset" in lowered else f"read error: {message}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"bad url: {message}"
    return message


def _innermost_os_error(exc: BaseException) -> OSError | None:
    found: OSError | None = None
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno is not None:
            found = cause
        cause = cause.__cause__ or cause.__context__
    return found


_CONNECT_ERRNO = {
    errno.ECONNREFUSED: "connection refused",
    errno.ETIMEDOUT: "connect timeout",
    errno.EHOSTUNREACH: "host unreachable",
    errno.EHOSTDOWN: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ENETDOWN: "network unreachable",
    errno.ECONNRESET: "connection reset",
}

_CONNECT_WORDING = (
    ("refused", "connection refused"),
    ("no route to host", "host unreachable"),
    ("host unreachable", "host unreachable"),
    ("network is unreachable", "network unreachable"),
    ("network unreachable", "network unreachable"),
    ("administratively prohibited", "forwarding prohibited"),
    ("name or service not known", "name resolution failed"),
    ("temporary failure in name resolution", "name resolution failed"),
    ("timed out", "connect timeout"),
)
