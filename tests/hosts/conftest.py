"""A small threaded HTTP server on loopback for the hosts' HTTP tests."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from darc_tui.config import HostConfig
from darc_tui.hosts.ssh import Backoff, SshHost


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        delay_ms = int(query.get("delay_ms", ["0"])[0])
        if delay_ms:
            time.sleep(min(delay_ms, 10_000) / 1000.0)
        body = b"x" * (200 * 1024) if parts.path == "/big" else f"hello {parts.path}".encode()
        status = (
            int(parts.path.removeprefix("/status/")) if parts.path.startswith("/status/") else 200
        )
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Test", "yes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    """Base URL of a threaded HTTP server: /any → 200, /status/N → N, /big → 200 KiB, ?delay_ms=."""
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
