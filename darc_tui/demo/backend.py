"""A real HTTP/1.1 demo backend whose faults are switched at runtime (by tests and by the demo keys).

Switches are plain attributes read on every request (`health_status`, `health_path`, `delay`,
`error_status`, `strict_paths`, `served_hosts`, `keepalive_idle_close`, `keepalive_race`) or
methods that change the listening socket (`down()`, `up()`, `set_tls()`). Run standalone (e.g. inside a network namespace) with
`python -m darc_tui.demo.backend --host H --port P`.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import socket
import ssl
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_TLS_HANDSHAKE_TIMEOUT = 5.0


class Backend:
    """The demo backend. `port=0` picks a free port once; `down()`/`up()` keep that port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, tls: bool = False) -> None:
        self.host = host
        self.port = port
        self.health_path = "/api/health"
        self.health_status = 200
        self.delay = 0.0  # seconds before answering any request
        self.error_status: int | None = None  # every non-health request answers this
        # Like an app that serves only its own routes: with strict_paths, a path that is neither
        # the health path nor under one of `paths` answers 404 (e.g. a wrong health-check path).
        self.strict_paths = False
        self.paths: tuple[str, ...] = ("/api/",)
        # Like an app that routes by Host: when set, any other Host header (port ignored) gets 404.
        self.served_hosts: tuple[str, ...] = ()
        self.keepalive_idle_close: float | None = None  # close keep-alive conns idle this long
        # With keepalive_idle_close: close the idle connection only when the next request arrives
        # on it (unanswered), i.e. lose the keep-alive race every time instead of by chance.
        self.keepalive_race = False
        self.sni_required = ""  # with TLS: refuse handshakes that do not name this server
        self.race_drops = 0  # requests dropped that way
        self.requests = 0  # all requests answered (health checks included)
        self.health_requests = 0
        self._tls = tls
        self._tls_context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- switches --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def tls(self) -> bool:
        return self._tls

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def set_tls(self, enabled: bool) -> None:
        """Serve TLS (throwaway self-signed cert) or plain HTTP on the same port."""
        if enabled == self._tls:
            return
        was_up = self.is_up
        self.down()
        self._tls = enabled
        if was_up:
            self.up()

    def count(self, *, health: bool) -> None:
        with self._lock:
            self.requests += 1
            if health:
                self.health_requests += 1

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Backend:
        self.up()
        return self

    def stop(self) -> None:
        self.down()

    def up(self) -> None:
        """Listen (again) on the same port."""
        if self._server is not None:
            return
        server = _Server((self.host, self.port), _Handler, backend=self)
        if self._tls:
            server.tls_context = self._context()
        self.port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"demo-backend-{self.port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def down(self) -> None:
        """Close the listening socket and every open connection: new connects are refused."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Backend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _context(self) -> ssl.SSLContext:
        if self._tls_context is None:
            self._tls_context = self_signed_context(self.host)
            self._tls_context.sni_callback = self._check_sni
        return self._tls_context

    def _check_sni(
        self, _sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext
    ) -> int | None:
        """With sni_required, a handshake naming another server (or none) gets the TLS alert
        unrecognized_name, like a virtual-hosted TLS server with no default certificate."""
        if self.sni_required and name != self.sni_required:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # rebind the same port right after down() despite TIME_WAIT

    def __init__(self, address: tuple[str, int], handler: type, *, backend: Backend) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.backend = backend
        self.tls_context: ssl.SSLContext | None = None
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls_context is not None:
            # Handshake in the connection's thread: a plain-text client must not stall accept().
            try:
                request.settimeout(_TLS_HANDSHAKE_TIMEOUT)
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (OSError, ValueError):
                return
            with self._conn_lock:
                self._connections.add(request)
            try:
                super().finish_request(request, client_address)
            finally:
                self.shutdown_request(request)  # the wrapped socket owns the fd now
            return
        super().finish_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conn_lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: resets and broken pipes are part of the faults, not news."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real app server
    server_version = "demo-backend/1.0"
    sys_version = ""
    server: _Server

    def handle(self) -> None:
        self.close_connection = True
        self._handle_once()
        while not self.close_connection:
            self._handle_once()

    def setup(self) -> None:
        super().setup()
        self._idle_since: float | None = None  # set after each answer on this connection

    def _handle_once(self) -> None:
        # Read per request so a runtime switch applies to connections that are already open.
        backend = self.server.backend
        idle = backend.keepalive_idle_close
        self.connection.settimeout(idle if idle and not backend.keepalive_race else None)
        try:
            self.handle_one_request()
        except OSError:
            self.close_connection = True
        self._idle_since = time.monotonic()

    def _lost_keepalive_race(self) -> bool:
        """Drop this request unanswered if it came on a connection idle past the limit."""
        backend = self.server.backend
        idle = backend.keepalive_idle_close
        if not (backend.keepalive_race and idle and self._idle_since is not None):
            return False
        if time.monotonic() - self._idle_since < idle:
            return False
        with backend._lock:
            backend.race_drops += 1
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return True

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self._answer()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    do_PUT = do_DELETE = do_POST

    def do_OPTIONS(self) -> None:
        # An app without CORS support: a preflight Envoy passes through gets no Allow-* headers.
        self.send_response(204)
        self.send_header("allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
        self.send_header("content-length", "0")
        self.end_headers()

    def _answer(self, body: bool = True) -> None:
        backend = self.server.backend
        self.connection.settimeout(None)  # the idle timeout is for waiting between requests only
        path = self.path.split("?", 1)[0]
        is_health = path == backend.health_path
        # Health checks are exempt: Envoy's checker reopens a closed connection before its next
        # round, so in the real race the host stays healthy while traffic gets the 503s.
        if not is_health and self._lost_keepalive_race():
            return
        if backend.delay > 0:
            time.sleep(backend.delay)
        backend.count(health=is_health)
        if not self._served(path):
            status = 404
            payload: dict[str, Any] = {"error": "not found", "path": path}
        elif is_health:
            status = backend.health_status
            payload = {"status": "ok" if status < 400 else "unhealthy"}
        elif backend.error_status is not None:
            status = backend.error_status
            payload = {"error": "backend unavailable", "code": status, "service": "darc-api"}
        else:
            status = 200
            payload = {"service": "darc-api", "path": path, "ok": True}
        data = json.dumps(payload).encode() + b"\n"
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _served(self, path: str) -> bool:
        """Whether this app serves the request's Host and path (the strict switches)."""
        backend = self.server.backend
        host = (self.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if backend.served_hosts and host not in backend.served_hosts:
            return False
        if not backend.strict_paths or path == backend.health_path:
            return True
        return any(path.startswith(prefix) for prefix in backend.paths)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line per request on stderr."""


def self_signed_context(host: str = "127.0.0.1") -> ssl.SSLContext:
    """A server SSLContext with a fresh self-signed certificate for `host` (and localhost)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "darc demo backend")])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt_names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory(prefix="darc-backend-tls-") as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
    return context


def main(argv: list[str] | None = None) -> int:
    """Serve until killed; prints `listening <url>` once ready (tests wait for that line)."""
    parser = argparse.ArgumentParser(prog="python -m darc_tui.demo.backend")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--health-path", default="/api/health")
    parser.add_argument("--health-status", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--error-status", type=int, default=None)
    parser.add_argument("--keepalive-idle-close", type=float, default=None)
    parser.add_argument("--keepalive-race", action="store_true")
    parser.add_argument("--strict-paths", action="store_true", help="404 for unknown paths")
    parser.add_argument("--path", action="append", default=None, help="a served path prefix")
    args = parser.parse_args(argv)
    backend = Backend(args.host, args.port, tls=args.tls)
    backend.health_path, backend.health_status = args.health_path, args.health_status
    backend.delay, backend.error_status = args.delay, args.error_status
    backend.keepalive_idle_close = args.keepalive_idle_close
    backend.keepalive_race = args.keepalive_race
    backend.strict_paths = args.strict_paths
    if args.path:
        backend.paths = tuple(args.path)
    backend.start()
    print(f"listening {backend.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
