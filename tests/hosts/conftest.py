"""Fixtures for host tests: a loopback HTTP server, ports, SshHost factory, a namespaced SSH site."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from darc_tui.config import HostConfig
from darc_tui.hosts.ssh import SshHost
from darc_tui.retry import Backoff
from tests.hosts._util import NsSite, wait_until
from tests.lab.netns import Netns
from tests.lab.sshd import Sshd


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        delay_ms = int(query.get("delay_ms", ["0"])[0])
        if delay_ms:
            time.sleep(min(delay_ms, 10_000) / 1000.0)
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else b""
        if parts.path == "/big":
            body = b"x" * (200 * 1024)
        else:
            body = f"{self.command} {parts.path}".encode() + (b" " + sent if sent else b"")
        status = (
            int(parts.path.removeprefix("/status/")) if parts.path.startswith("/status/") else 200
        )
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Test", "yes")
        self.send_header("X-Echoed", self.headers.get("X-Echo", ""))
        self.send_header("X-Host", self.headers.get("Host", ""))
        self.send_header("X-User-Agent", self.headers.get("User-Agent", ""))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_OPTIONS = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    """Base URL of a threaded HTTP server: body "<METHOD> <path> [<request body>]", /status/N → N,
    /big → 200 KiB, ?delay_ms=N delays the headers; echoes X-Echo as X-Echoed, Host as X-Host,
    User-Agent as X-User-Agent."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (bound then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def make_ssh_host() -> AsyncIterator[Callable[..., SshHost]]:
    """SshHost factory (no user ~/.ssh/config, fast retries); every host is closed afterwards."""
    made: list[SshHost] = []

    def make(config: HostConfig, **kwargs: Any) -> SshHost:
        kwargs.setdefault("ssh_config", ())
        kwargs.setdefault("connect_timeout", 5.0)
        kwargs.setdefault("keepalive_interval", 2.0)
        kwargs.setdefault("backoff", Backoff(base=0.05, cap=0.2))
        host = SshHost(config, **kwargs)
        made.append(host)
        return host

    yield make
    for host in reversed(made):
        await host.close()


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A loopback port with a listener that accepts (and never answers)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


@pytest.fixture
async def ns_site(netns: Netns, make_sshd: Callable[..., Sshd], make_ssh_host: Any) -> NsSite:
    """An SSH host inside its own network namespace, with an HTTP server on the namespace's
    127.0.0.1:18080 that the jump box cannot reach."""
    sshd = make_sshd(netns=netns.name, listen=netns.addr)
    port = 18080
    netns.popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    host = make_ssh_host(sshd.host_config())

    async def listening() -> bool:
        return (await host.open_tcp("127.0.0.1", port, timeout=1)).ok

    await wait_until(listening, what="http.server inside the namespace")
    return NsSite(host, sshd, netns, port, netns.addr)
