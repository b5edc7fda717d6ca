"""Regenerate the recorded Envoy access logs in this folder from the real Envoy binary.

Run: .venv/bin/python tests/data/logs/capture_envoy.py
Starts a loopback backend and Envoy (--concurrency 1), sends requests that produce 200, 404 NR,
503 UF/UH/UO/URX, 504 UT, UC, DC and a backend 503, then stops Envoy (which flushes the logs).
Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENVOY = Path(sys.executable).parent / "envoy"

CUSTOM_FORMAT = (
    "%START_TIME(%Y-%m-%dT%H:%M:%S.%3fZ)% %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% "
    "%PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_FLAGS_LONG% details=%RESPONSE_CODE_DETAILS% "
    'reason="%UPSTREAM_TRANSPORT_FAILURE_REASON%" cluster=%UPSTREAM_CLUSTER% up=%UPSTREAM_HOST% '
    "dur=%DURATION% ust=%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% rx=%BYTES_RECEIVED% tx=%BYTES_SENT% "
    'conn=%CONNECTION_ID% ua="%REQ(USER-AGENT):20%"\n'
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Backend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/close"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        status = 503 if self.path.startswith("/fail") else 200
        body = b"backend says no\n" if status == 503 else b"ok\n"
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def cluster(name: str, port: int | None, extra: str = "") -> str:
    endpoints = (
        ""
        if port is None
        else f"""
      endpoints:
      - lb_endpoints:
        - endpoint:
            address: {{socket_address: {{address: 127.0.0.1, port_value: {port}}}}}"""
    )
    return f"""
  - name: {name}
    type: STATIC
    connect_timeout: 0.5s{extra}
    load_assignment:
      cluster_name: {name}{endpoints}
"""


def config(listen: int, admin: int, backend: int, dead: int, logdir: Path) -> str:
    routes = [
        ("/uf", "dead", ""),
        ("/urx", "dead", ", retry_policy: {retry_on: connect-failure, num_retries: 1}"),
        ("/uh", "empty", ""),
        ("/uo", "overflow", ""),
        ("/slow", "good", ", timeout: 0.3s"),
        ("/", "good", ""),
    ]
    route_yaml = "".join(
        f"""
              - match: {{prefix: "{prefix}"}}
                route: {{cluster: {c}{extra}}}"""
        for prefix, c, extra in routes
    )
    custom = CUSTOM_FORMAT.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    overflow = """
    circuit_breakers:
      thresholds:
      - {max_connections: 0, max_pending_requests: 0, max_requests: 0}"""
    return f"""
admin:
  address: {{socket_address: {{address: 127.0.0.1, port_value: {admin}}}}}
static_resources:
  listeners:
  - name: main
    address: {{socket_address: {{address: 127.0.0.1, port_value: {listen}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          codec_type: AUTO
          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: {logdir}/access.log
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: {logdir}/custom.log
              log_format:
                text_format_source:
                  inline_string: "{custom}"
          route_config:
            virtual_hosts:
            - name: all
              domains: ["example.test", "localhost", "127.0.0.1:{listen}"]
              routes:{route_yaml}
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:{cluster("good", backend)}{cluster("dead", dead)}{cluster("empty", None)}{cluster("overflow", backend, overflow)}
"""


def curl(port: int, path: str, *extra: str | bytes) -> None:
    subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            "3",
            *extra,
            f"http://127.0.0.1:{port}{path}",
        ],
        check=False,
    )


def main() -> None:
    backend_port, listen, admin, dead = free_port(), free_port(), free_port(), free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", backend_port), Backend)
    server.handle_error = lambda *_: None  # type: ignore[method-assign]  # the DC client hangs up
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = Path(tempfile.mkdtemp(prefix="darc-capture-"))
    (work / "envoy.yaml").write_text(config(listen, admin, backend_port, dead, work))
    envoy = subprocess.Popen(
        [
            str(ENVOY),
            "-c",
            str(work / "envoy.yaml"),
            "--concurrency",
            "1",
            "--log-level",
            "warn",
            "--file-flush-interval-msec",
            "200",
            "--base-id",
            str(os.getpid() % 60000),
        ],
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", listen), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        h = ("-H", "host: example.test")
        curl(listen, "/ok", *h, "-H", "x-forwarded-for: 192.0.2.7", "-H", "x-request-id: req-1")
        curl(listen, "/ok", *h, "--http2-prior-knowledge", "-A", "darc-h2")
        curl(listen, "/fail", *h)
        curl(listen, "/uf", *h)
        curl(listen, "/urx", *h)
        curl(listen, "/uh", *h)
        curl(listen, "/uo", *h)
        curl(listen, "/slow", *h)
        curl(listen, "/close", *h)
        curl(listen, "/ok", "-H", "host: nowhere.test")  # no virtual host → 404 NR
        curl(listen, "/ok?q=%C3%A9%FF", *h, "-A", 'agent with spaces "quoted"')
        curl(listen, "/ok", *h, "-A", b"bin\xffagent")  # a byte that is not UTF-8
        curl(listen, "/slow/dc", *h, "--max-time", "0.1")  # client gives up → DC
        curl(listen, "/ok", *h, "-X", "POST", "-d", "x" * 1000)
        time.sleep(2.0)  # let the slow request finish and the 200 ms flush happen
    finally:
        envoy.terminate()
        envoy.wait(10)
        server.shutdown()
    shutil.copy(work / "access.log", HERE / "envoy-1.40-default.log")
    shutil.copy(work / "custom.log", HERE / "envoy-1.40-custom.log")
    (HERE / "envoy-1.40-custom.format").write_text(CUSTOM_FORMAT)
    shutil.rmtree(work)
    for name in ("envoy-1.40-default.log", "envoy-1.40-custom.log"):
        print((HERE / name).read_bytes().decode("utf-8", "replace"))


if __name__ == "__main__":
    main()
