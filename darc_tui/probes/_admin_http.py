"""GET one Envoy admin endpoint from the Envoy host, keeping the whole body.

`hosts.http.http_request` keeps only the first 64 KiB, but Envoy 1.40 answers `/server_info` and
`/config_dump` with ~120 KB on a tiny config (`node.extensions` lists every extension), so the
admin probes read through the host's own httpx transport with a larger cap.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from darc_tui.errors import ErrorKind, classify
from darc_tui.hosts.base import Host, HostError
from darc_tui.hosts.http import (
    USER_AGENT,
    VIA_EXTENSION,
    Trace,
    client_transport,
    describe_http_error,
)

# Every admin answer's size budget: a broken or hostile Envoy may send without end; past it the
# read stops and the answer is an error ("answer over 64 MiB, cut", ErrorKind.TOO_LARGE), never
# an out-of-memory. Read at call time, so it can be changed (tests lower it).
ADMIN_BODY_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AdminResponse:
    url: str
    status: int | None
    body: bytes = b""
    error: str = ""  # "" or one line: "connection refused", "timed out after 4s", …
    total_ms: float | None = None
    via: str = ""
    truncated: bool = False  # the answer went past `limit` bytes; `body` holds the first `limit`
    error_kind: ErrorKind | None = None
    limit: int = ADMIN_BODY_LIMIT

    @property
    def problem(self) -> str:
        """Why this answer cannot be parsed ("" when it can)."""
        if self.error:
            return self.error
        if self.status != 200:
            first = self.body.decode("utf-8", "replace").strip().splitlines()[:1]
            return f"HTTP {self.status}" + (f": {first[0][:120]}" if first else "")
        if self.truncated:
            return f"answer over {_mib(self.limit)}, cut"
        return ""


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def admin_url(base: str, path: str, **query: str) -> str:
    """`http://127.0.0.1:9901` + `/stats` + `?format=json&filter=…` (values URL-encoded)."""
    url = base.rstrip("/") + path
    return f"{url}?{urlencode(query)}" if query else url


async def admin_get(
    host: Host, url: str, *, timeout: float, limit: int | None = None
) -> AdminResponse:
    """GET `url` from `host`; each phase waits `timeout`, the whole request 2 × timeout. Never raises.

    The host's kept-alive client is used (one connection polled every second, not a handshake per
    request); a kept-alive connection the server closed meanwhile is retried once on a new one."""
    limit = ADMIN_BODY_LIMIT if limit is None else limit
    start = time.monotonic()
    try:
        client = host.shared_client(keepalive=True)
    except Exception as exc:  # e.g. an SSH host that cannot build a transport right now
        return AdminResponse(url, None, error=f"host down: {exc}", error_kind=ErrorKind.HOST_DOWN)
    via = str(getattr(client_transport(client), "via", "httpx"))
    try:
        async with asyncio.timeout(2 * timeout):
            try:
                status, body, via = await _get(client, url, timeout, limit, via, retry=True)
            except _Stale:
                status, body, via = await _get(client, url, timeout, limit, via, retry=False)
    except TimeoutError:
        error = f"timed out after {2 * timeout:g}s"
        return AdminResponse(url, None, error=error, via=via, error_kind=ErrorKind.TIMEOUT)
    except HostError as exc:
        error, kind = f"host down: {exc}", ErrorKind.HOST_DOWN
        return AdminResponse(url, None, error=error, via=via, error_kind=kind)
    except httpx.HTTPError as exc:
        error, kind = describe_http_error(exc), classify(exc)
        return AdminResponse(url, None, error=error, via=via, error_kind=kind)
    elapsed = (time.monotonic() - start) * 1000.0
    truncated = len(body) > limit
    del body[limit:]  # in place: no second copy of a big answer
    return AdminResponse(
        url,
        status,
        bytes(body),
        total_ms=elapsed,
        via=via,
        truncated=truncated,
        error_kind=ErrorKind.TOO_LARGE if truncated else None,
        limit=limit,
    )


class _Stale(Exception):
    """The request failed on a kept-alive connection before any answer: worth one retry."""


async def _get(
    client: httpx.AsyncClient, url: str, timeout: float, limit: int, via: str, *, retry: bool
) -> tuple[int, bytearray, str]:
    trace = Trace()
    try:
        async with client.stream(
            "GET",
            url,
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            extensions={"trace": trace},
        ) as response:
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > limit:
                    break
            return response.status_code, body, str(response.extensions.get(VIA_EXTENSION) or via)
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        if retry and trace.reused:
            raise _Stale from exc
        raise
