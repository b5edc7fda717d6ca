"""Read-only Envoy admin reads the reload flow needs, from the Envoy host's point of view.

Every read returns a value (never raises): the parsed document, or one that says why it is
missing. Only GETs on read-only endpoints, like the rest of darc-tui.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import httpx

from darc_tui.hosts.base import Host, HostError
from darc_tui.parse.clusters import ClustersReport, parse_clusters_json
from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import EnvoySummary
from darc_tui.parse.server_info import ReadyState, ServerInfo, parse_ready, parse_server_info

BIG_BODY = 256 * 1024  # parse bodies bigger than this in a thread
T = TypeVar("T")


class Admin:
    """GETs against one Envoy admin through one host; use as an async context manager."""

    def __init__(self, host: Host, admin_url: str, *, timeout: float) -> None:
        self.url = admin_url.rstrip("/")
        self._host = host
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Admin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def _get(self, path: str) -> tuple[int | None, bytes, str]:
        """(status, body, error); a fresh connection each time: hot restarts move the admin socket."""
        try:
            if self._client is None:
                self._client = self._host.http_client(timeout=self._timeout)
            async with asyncio.timeout(2 * self._timeout):
                response = await self._client.get(
                    f"{self.url}{path}", headers={"connection": "close"}
                )
        except TimeoutError:
            return None, b"", f"GET {path}: timed out after {2 * self._timeout:g}s"
        except (httpx.HTTPError, HostError, OSError) as exc:
            return None, b"", f"GET {path}: {one_line(exc)}"
        return response.status_code, response.content, ""

    async def server_info(self) -> ServerInfo:
        status, body, error = await self._get("/server_info")
        if error or status != 200:
            return ServerInfo(error=error or f"GET /server_info: HTTP {status}")
        return parse_server_info(body)

    async def ready(self) -> ReadyState:
        status, body, error = await self._get("/ready")
        if error:
            return ReadyState(None, None, error=error)
        return parse_ready(body, status)

    async def clusters(self) -> ClustersReport:
        status, body, error = await self._get("/clusters?format=json")
        if error or status != 200:
            return ClustersReport(error=error or f"GET /clusters: HTTP {status}")
        return await _parse(parse_clusters_json, body)

    async def config_dump(self) -> EnvoySummary:
        status, body, error = await self._get("/config_dump")
        if error or status != 200:
            return EnvoySummary(source="config_dump", error=error or f"HTTP {status}")
        return await _parse(parse_config_dump, body)


async def _parse(parse: Callable[[bytes], T], body: bytes) -> T:
    if len(body) > BIG_BODY:
        return await asyncio.to_thread(parse, body)
    return parse(body)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__
