"""http_request through an SSH host: direct-tcpip channels with httpx timings, or remote curl."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from darc_tui.hosts import LocalHost, SshHost, http_request
from darc_tui.hosts.http import USER_AGENT
from tests.hosts._util import NsSite
from tests.lab.sshd import TEST_USER, Sshd, without_tools

MakeHost = Callable[..., SshHost]


ROUTES = {  # route → (sshd forwards TCP, a PATH without these tools)
    "ssh direct-tcpip": (True, ()),
    "ssh helper": (False, ()),
    "remote curl": (False, ("python3",)),
}


@pytest.fixture(params=list(ROUTES), ids=["direct-tcpip", "helper", "curl"])
def edge(request: pytest.FixtureRequest, make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost):
    """An SSH host per route: forwarding allowed; forbidden with python3 on the host (the
    multiplexer's own TCP connections); forbidden and no python3 (remote curl)."""
    forwarding, missing = ROUTES[request.param]
    path = (lambda workdir: without_tools(workdir, *missing)) if missing else None
    sshd = make_sshd(allow_tcp_forwarding=forwarding, path=path)
    host = make_ssh_host(sshd.host_config(user="darc-test"))
    host.expected_via = request.param  # type: ignore[attr-defined]
    return host


def _expected_via(host: SshHost) -> str:
    return str(host.expected_via)  # type: ignore[attr-defined]


async def test_request_reports_status_headers_body_timings_and_route(
    edge: SshHost, http_server: str
) -> None:
    result = await http_request(edge, "GET", f"{http_server}/health", timeout=2)
    assert (result.status, result.body, result.error) == (200, b"GET /health", "")
    assert result.header("X-Test") == "yes"
    assert None not in (result.connect_ms, result.ttfb_ms, result.total_ms)
    assert result.via == _expected_via(edge)


async def test_requests_say_darc_tui_in_their_user_agent_over_either_route(
    edge: SshHost, http_server: str
) -> None:
    """Envoy's access log tells darc-tui's probes from real traffic by this User-Agent."""
    plain = await http_request(edge, "GET", f"{http_server}/ua", timeout=2)
    own = await http_request(
        edge, "GET", f"{http_server}/ua", headers={"user-agent": "other/1"}, timeout=2
    )
    assert plain.via == _expected_via(edge)
    assert plain.header("x-user-agent") == USER_AGENT and USER_AGENT.startswith("darc-tui/")
    assert own.header("x-user-agent") == "other/1"  # a caller's own User-Agent wins


async def test_forbidden_forwarding_is_named_in_via(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost, http_server: str
) -> None:
    sshd = make_sshd(allow_tcp_forwarding=False, path=lambda d: without_tools(d, "python3"))
    host = make_ssh_host(sshd.host_config(user=TEST_USER))  # root's .bashrc may reset PATH
    first = await http_request(host, "GET", f"{http_server}/a", timeout=2)
    second = await http_request(host, "GET", f"{http_server}/b", timeout=2)
    assert (first.status, first.via) == (200, "remote curl")
    assert (second.body, second.via) == (b"GET /b", "remote curl")


async def test_a_request_with_a_body_is_sent_once_over_every_route(
    edge: SshHost, http_server: str
) -> None:
    """The route is decided per connection before the body is read (httpx StreamConsumed)."""
    async with edge.http_client(timeout=2) as client:
        response = await client.post(f"{http_server}/post", content=b"\x00\xffbody")
    assert (response.status_code, response.content) == (200, b"POST /post \x00\xffbody")
    assert response.extensions["darc_via"] == _expected_via(edge)


async def test_method_headers_and_body_reach_the_server(edge: SshHost, http_server: str) -> None:
    headers = {"X-Echo": "it's $(here)", "Host": "backend_cluster"}
    options = await http_request(edge, "OPTIONS", f"{http_server}/p", headers=headers, timeout=2)
    head = await http_request(edge, "HEAD", f"{http_server}/p", timeout=2)
    assert (options.status, options.body) == (200, b"OPTIONS /p")
    assert options.header("x-echoed") == "it's $(here)"
    assert options.header("x-host") == "backend_cluster"
    assert (head.status, head.body, head.header("x-test")) == (200, b"", "yes")


async def test_status_codes_pass_through(edge: SshHost, http_server: str) -> None:
    result = await http_request(edge, "GET", f"{http_server}/status/503", timeout=2)
    assert (result.status, result.ok) == (503, True)


async def test_body_is_cut_at_64_kib(edge: SshHost, http_server: str) -> None:
    result = await http_request(edge, "GET", f"{http_server}/big", timeout=2)
    assert result.status == 200 and len(result.body) == 64 * 1024


async def test_closed_port_says_connection_refused(edge: SshHost, closed_port: int) -> None:
    result = await http_request(edge, "GET", f"http://127.0.0.1:{closed_port}/", timeout=2)
    assert (result.status, result.error) == (None, "connection refused")
    assert result.via == _expected_via(edge)


async def test_slow_headers_say_read_timeout(edge: SshHost, http_server: str) -> None:
    result = await http_request(edge, "GET", f"{http_server}/?delay_ms=3000", timeout=0.5)
    assert (result.status, result.error) == (None, "read timeout")


async def test_down_host_says_host_down(
    make_sshd: Callable[..., Sshd], make_ssh_host: MakeHost, http_server: str
) -> None:
    sshd = make_sshd()
    sshd.stop()
    host = make_ssh_host(sshd.host_config())
    result = await http_request(host, "GET", f"{http_server}/", timeout=2)
    assert result.status is None and result.error.startswith("host down: connection refused")


async def test_tls_handshake_runs_over_the_channel(
    sshd: Sshd, make_ssh_host: MakeHost, tls_server: str
) -> None:
    host = make_ssh_host(sshd.host_config())
    result = await http_request(host, "GET", f"{tls_server}/", timeout=2)
    # the self-signed test certificate is not trusted: the error comes from the TLS handshake
    assert result.status is None and result.error.startswith("tls error")
    assert "certificate" in result.error


async def test_requests_come_from_the_ssh_host(ns_site: NsSite) -> None:
    url = f"http://127.0.0.1:{ns_site.port}/"
    local = await http_request(LocalHost(), "GET", url, timeout=2)
    remote = await http_request(ns_site.host, "GET", url, timeout=2)
    assert local.error == "connection refused"
    assert remote.status == 200 and remote.via == "ssh direct-tcpip"


async def test_dropped_packets_say_connect_timeout(ns_site: NsSite) -> None:
    ns_site.drop_port(ns_site.port)
    url = f"http://{ns_site.addr}:{ns_site.port}/"
    result = await http_request(ns_site.host, "GET", url, timeout=0.5)
    assert (result.status, result.error) == (None, "connect timeout")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on loopback with a throwaway self-signed certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True  # the handshake runs in the handler thread, not in accept()
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
