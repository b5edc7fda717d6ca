"""The demo backend: real sockets, runtime fault switches, quiet and clean shutdown."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from darc_tui.demo.backend import Backend


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=2)


def test_health_path_answers_ok_and_other_paths_a_json_body(backend: Backend):
    health = httpx.get(f"{backend.url}/api/health")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    other = httpx.get(f"{backend.url}/api/orders?id=1")
    assert other.status_code == 200 and other.json()["path"] == "/api/orders"
    assert (backend.requests, backend.health_requests) == (2, 1)


def test_health_status_and_path_are_switchable(backend: Backend):
    backend.health_status = 500
    assert httpx.get(f"{backend.url}/api/health").status_code == 500
    backend.health_path = "/healthz"
    assert httpx.get(f"{backend.url}/healthz").status_code == 500
    assert httpx.get(f"{backend.url}/api/health").status_code == 200  # now an ordinary path


def test_error_status_applies_to_every_request_but_health(backend: Backend):
    backend.error_status = 503
    response = httpx.get(f"{backend.url}/api/orders")
    assert response.status_code == 503 and response.json()["error"] == "backend unavailable"
    assert httpx.get(f"{backend.url}/api/health").status_code == 200


def test_every_path_answers_by_default_and_unknown_paths_404_when_strict(backend: Backend):
    assert httpx.get(f"{backend.url}/wrong/health").status_code == 200  # the default: lenient
    backend.strict_paths = True
    wrong = httpx.get(f"{backend.url}/wrong/health")
    assert (wrong.status_code, wrong.json()) == (
        404,
        {"error": "not found", "path": "/wrong/health"},
    )
    assert httpx.get(f"{backend.url}/api/health").status_code == 200
    assert httpx.get(f"{backend.url}/api/orders?id=1").status_code == 200
    backend.paths = ("/orders",)
    assert httpx.get(f"{backend.url}/orders").status_code == 200
    assert httpx.get(f"{backend.url}/api/orders").status_code == 404


def test_served_hosts_make_other_host_headers_404(backend: Backend):
    backend.served_hosts = ("api.internal",)
    assert httpx.get(f"{backend.url}/api/health").status_code == 404  # Host: 127.0.0.1:PORT
    named = httpx.get(f"{backend.url}/api/health", headers={"host": "api.internal:8080"})
    assert named.status_code == 200


def test_strict_paths_from_the_command_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "darc_tui.demo.backend", "--strict-paths", "--path", "/orders"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        assert httpx.get(f"{url}/orders/1").status_code == 200
        assert httpx.get(f"{url}/api/orders").status_code == 404
        assert httpx.get(f"{url}/api/health").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_down_refuses_connects_and_up_rebinds_the_same_port(backend: Backend):
    port = backend.port
    with httpx.Client() as client:
        assert client.get(f"{backend.url}/").status_code == 200  # a keep-alive conn is open
        backend.down()
        with pytest.raises(ConnectionRefusedError):
            _connect(port)
        with pytest.raises(httpx.TransportError):
            client.get(f"{backend.url}/")
    backend.up()
    assert backend.port == port
    assert httpx.get(f"{backend.url}/").status_code == 200


def test_delay_holds_the_answer(backend: Backend):
    backend.delay = 1.0
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{backend.url}/", timeout=httpx.Timeout(2.0, read=0.05))


def test_idle_keepalive_connections_are_closed_by_the_backend(backend: Backend):
    backend.keepalive_idle_close = 0.2
    with _connect(backend.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while b'"ok": true' not in reply:
            reply += sock.recv(4096)
        sock.settimeout(10)
        assert sock.recv(4096) == b""  # the backend hung up on the idle connection


def test_keepalive_connections_stay_open_by_default(backend: Backend):
    with _connect(backend.port) as sock:
        for _ in range(3):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while b'"ok": true' not in reply:
                reply += sock.recv(4096)
                assert reply, "connection closed"
    assert backend.requests == 3


def test_tls_serves_a_self_signed_certificate_on_the_same_port(backend: Backend):
    port = backend.port
    backend.set_tls(True)
    assert backend.url == f"https://127.0.0.1:{port}"
    assert httpx.get(f"{backend.url}/api/health", verify=False).status_code == 200
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{backend.url}/api/health")
    with pytest.raises(httpx.TransportError):  # plain HTTP against the TLS port
        httpx.get(f"http://127.0.0.1:{port}/api/health")
    backend.set_tls(False)
    assert httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200


def test_a_silent_tls_client_does_not_block_other_clients():
    with Backend(tls=True) as server, _connect(server.port):
        assert httpx.get(f"{server.url}/", verify=False).status_code == 200


def test_is_quiet_and_stops_cleanly(capfd: pytest.CaptureFixture[str]):
    server = Backend().start()
    httpx.get(f"{server.url}/")
    server.error_status = 500
    httpx.get(f"{server.url}/")
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        _connect(server.port)
    assert capfd.readouterr() == ("", "")


def test_runs_standalone_and_announces_its_url():
    proc = subprocess.Popen(
        [sys.executable, "-m", "darc_tui.demo.backend", "--health-status", "503"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[0] == "listening"
        assert httpx.get(f"{line[1]}/api/health").status_code == 503
    finally:
        proc.kill()
        proc.wait()


def test_keepalive_race_drops_the_request_that_reuses_an_idle_connection(backend: Backend):
    backend.keepalive_idle_close = 0.05
    backend.keepalive_race = True
    with _connect(backend.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while b'"ok": true' not in reply:
            reply += sock.recv(4096)
        idle_until = time.monotonic() + 0.1
        while time.monotonic() < idle_until:  # the connection must sit idle past the limit
            time.sleep(0.02)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        assert sock.recv(4096) == b""  # closed without an answer
    assert (backend.requests, backend.race_drops) == (1, 1)
