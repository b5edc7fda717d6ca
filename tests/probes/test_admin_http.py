"""Admin polling reuses one kept-alive connection and survives the server closing it; an answer
over the size budget is cut and reported, never read to the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from darc_tui.errors import ErrorKind
from darc_tui.hosts import LocalHost
from darc_tui.model import Status
from darc_tui.probes import _admin_http
from darc_tui.probes._admin_http import admin_get
from darc_tui.probes.admin import ClustersProbe

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nLIVE"


@dataclass
class CountingServer:
    """A loopback HTTP/1.1 server counting connections and requests; with `drop_second`, a
    connection's second request is answered by closing it (an idle timeout hitting a reuse)."""

    drop_second: bool = False
    connections: int = 0
    requests: int = 0
    url: str = ""
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        served = 0
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                served += 1
                if self.drop_second and served == 2:
                    break
                self.requests += 1
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    state = CountingServer()
    srv = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/ready"
    yield state
    for w in state.writers:
        w.close()
    srv.close()
    await srv.wait_closed()


async def test_admin_polls_share_one_kept_alive_connection(server: CountingServer) -> None:
    host = LocalHost()
    try:
        answers = [await admin_get(host, server.url, timeout=2) for _ in range(3)]
    finally:
        await host.close_http()
    assert [(a.status, a.body) for a in answers] == [(200, b"LIVE")] * 3
    assert (server.connections, server.requests) == (1, 3)


async def test_a_kept_alive_connection_closed_by_the_server_is_retried_once(
    server: CountingServer,
) -> None:
    server.drop_second = True
    host = LocalHost()
    try:
        first = await admin_get(host, server.url, timeout=2)
        second = await admin_get(host, server.url, timeout=2)
    finally:
        await host.close_http()
    assert (first.status, second.status, second.error) == (200, 200, "")
    assert (server.connections, server.requests) == (2, 2)


async def test_closing_the_host_clients_closes_the_kept_connection(server: CountingServer) -> None:
    host = LocalHost()
    assert (await admin_get(host, server.url, timeout=2)).status == 200
    await host.close_http()
    reader_done = server.writers[0]
    for _ in range(100):  # the server's read sees EOF once the client closed its side
        if reader_done.is_closing():
            break
        await asyncio.sleep(0.01)
    assert reader_done.is_closing()


async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An admin API that never stops answering (a broken or hostile Envoy)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{")
    try:
        while True:
            writer.write(b'"cluster_statuses": [' * 4096)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def test_an_answer_over_the_budget_is_cut_and_becomes_error_evidence(monkeypatch) -> None:
    monkeypatch.setattr(_admin_http, "ADMIN_BODY_LIMIT", 1024 * 1024)
    srv = await asyncio.start_server(endless, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
    host = LocalHost()
    try:
        evidence = await ClustersProbe(host, base, "backend_cluster", timeout=5).observe()
    finally:
        await host.close_http()
        srv.close()
        await srv.wait_closed()
    assert evidence.status is Status.ERROR
    assert evidence.error_kind is ErrorKind.TOO_LARGE
    assert evidence.detail == f"GET {base}/clusters?format=json: answer over 1 MiB, cut"
    assert evidence.facts["error"] == "answer over 1 MiB, cut"
