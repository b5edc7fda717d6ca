"""ErrorKind from real failures on loopback (and in a throwaway netns), never from hand-made ones."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from darc_tui.demo.backend import Backend
from darc_tui.errors import ErrorKind, classify, classify_reason
from darc_tui.hosts.base import HostError
from darc_tui.hosts.http import http_request
from darc_tui.hosts.local import LocalHost
from tests.lab.netns import Netns


def _error_of(url: str, timeout: float = 1.0, **client: object) -> BaseException:
    async def fetch() -> None:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False, **client) as c:  # type: ignore[arg-type]
            await c.get(url)

    with pytest.raises(httpx.HTTPError) as caught:
        asyncio.run(fetch())
    return caught.value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tls_backend() -> Iterator[Backend]:
    backend = Backend(tls=True).start()
    yield backend
    backend.stop()


@pytest.fixture
def plain_backend() -> Iterator[Backend]:
    backend = Backend().start()
    yield backend
    backend.stop()


def test_a_closed_port_is_refused() -> None:
    assert classify(_error_of(f"http://127.0.0.1:{_free_port()}/")) is ErrorKind.REFUSED


def test_plain_http_to_a_tls_server_is_a_reset(tls_backend: Backend) -> None:
    plain = tls_backend.url.replace("https://", "http://")
    assert classify(_error_of(plain)) is ErrorKind.RESET


def test_tls_to_a_plain_server_is_a_tls_error(plain_backend: Backend) -> None:
    tls = plain_backend.url.replace("http://", "https://")
    assert classify(_error_of(tls, verify=False)) is ErrorKind.TLS


def test_a_self_signed_certificate_is_a_certificate_error(tls_backend: Backend) -> None:
    assert classify(_error_of(tls_backend.url)) is ErrorKind.CERTIFICATE


def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    with socket.socket() as listening:  # the kernel completes the handshake; nobody reads
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        port = listening.getsockname()[1]
        error = _error_of(f"http://127.0.0.1:{port}/", timeout=0.3)
    assert classify(error) is ErrorKind.READ_TIMEOUT


def test_a_numeric_only_lookup_of_a_name_is_a_dns_error() -> None:
    # AI_NUMERICHOST fails inside getaddrinfo itself: a real gaierror with no DNS traffic
    with pytest.raises(socket.gaierror) as caught:
        socket.getaddrinfo("backend.invalid", 80, flags=socket.AI_NUMERICHOST)
    assert classify(caught.value) is ErrorKind.DNS


def test_dropped_packets_are_a_connect_timeout(netns: Netns) -> None:
    netns.start_backend(18443)
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "18443", "-j", "DROP"])
    error = _error_of(f"http://{netns.addr}:18443/", timeout=0.3)
    assert classify(error) is ErrorKind.CONNECT_TIMEOUT


def test_an_icmp_host_unreachable_is_no_route(netns: Netns) -> None:
    netns.start_backend(18443)
    reject = ["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "18443", "-j", "REJECT"]
    netns.exec([*reject, "--reject-with", "icmp-host-unreachable"])
    assert classify(_error_of(f"http://{netns.addr}:18443/")) is ErrorKind.NO_ROUTE


def test_local_tcp_connects_carry_the_kind(netns: Netns) -> None:
    host = LocalHost()
    refused = asyncio.run(host.open_tcp("127.0.0.1", _free_port(), timeout=1.0))
    assert refused.error_kind is ErrorKind.REFUSED
    netns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "18443", "-j", "DROP"])
    dropped = asyncio.run(host.open_tcp(netns.addr, 18443, timeout=0.3))
    assert not dropped.ok and dropped.error_kind is ErrorKind.CONNECT_TIMEOUT


def test_http_request_results_carry_the_kind(tls_backend: Backend) -> None:
    host = LocalHost()
    refused = asyncio.run(
        http_request(host, "GET", f"http://127.0.0.1:{_free_port()}/", timeout=1.0)
    )
    assert refused.error_kind is ErrorKind.REFUSED and refused.status is None
    answered = asyncio.run(
        http_request(host, "GET", tls_backend.url.replace("https", "http"), timeout=1.0)
    )
    assert answered.error_kind is ErrorKind.RESET
    plain = Backend().start()
    try:
        ok = asyncio.run(http_request(host, "GET", f"{plain.url}/api/health", timeout=1.0))
    finally:
        plain.stop()
    assert ok.status == 200 and ok.error_kind is None


def test_a_host_error_anywhere_in_the_chain_is_host_down() -> None:
    try:
        try:
            raise HostError("ssh: connection refused")
        except HostError as exc:
            raise httpx.ConnectError("host down: ssh: connection refused") from exc
    except httpx.ConnectError as outer:
        assert classify(outer) is ErrorKind.HOST_DOWN


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("Connection refused", ErrorKind.REFUSED),
        ("Connection timed out", ErrorKind.CONNECT_TIMEOUT),
        ("No route to host", ErrorKind.NO_ROUTE),
        ("Network is unreachable", ErrorKind.NO_ROUTE),
        ("open failed: administratively prohibited", ErrorKind.PROHIBITED),
        ("Something else entirely", ErrorKind.OTHER),
    ],
)
def test_remote_errno_wording_maps_once_at_the_boundary(reason: str, kind: ErrorKind) -> None:
    # the strerror() texts of glibc in the C locale, as sshd and bash print them
    assert classify_reason(reason) is kind


def test_errors_imports_neither_httpx_nor_asyncssh() -> None:
    code = (
        "import sys; sys.modules['asyncssh'] = None; import darc_tui.errors; "
        "assert 'httpx' not in sys.modules and 'asyncssh' not in [m for m in sys.modules "
        "if sys.modules[m] is not None]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_server_that_wants_another_name_is_an_sni_error() -> None:
    backend = Backend(tls=True)
    backend.sni_required = "backend.lab"
    backend.start()
    try:
        # an IP literal sends no server name: the server answers with alert unrecognized_name
        assert classify(_error_of(backend.url, verify=False)) is ErrorKind.SNI
    finally:
        backend.stop()
