"""A small Prometheus API on loopback that replays answers recorded from the real Prometheus 2.42
(tests/data/prometheus-2.42/<state>.json), optionally scaled to many synthetic Envoys: instance k
copies the series of recorded Envoy k mod 3, renamed `envoy-<k>:9901` (a label, never contacted).

Only what was recorded is answered; any other query is a 400 error naming it, as Prometheus
answers a bad query, so a fleet source asking something new fails loudly here.
"""

from __future__ import annotations

import copy
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parents[1] / "data" / "prometheus-2.42"
RECORDED = ("envoy-a:9901", "envoy-b:9901", "envoy-c:9901")


def synthetic(k: int) -> str:
    return f"envoy-{k:04d}:9901"


def load_state(state: str, size: int = 3) -> dict[str, Any]:
    """The recorded answers of `state`, with `size` instances (3 = as recorded)."""
    doc: dict[str, Any] = json.loads((DATA / f"{state}.json").read_text(encoding="utf-8"))
    if size == 3:
        return doc
    doc["targets"]["data"]["activeTargets"] = _scale(doc["targets"]["data"]["activeTargets"], size)
    for answer in doc["queries"].values():
        answer["data"]["result"] = _scale(answer["data"]["result"], size)
    return doc


def _scale(items: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    by_instance: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        labels = item.get("labels") or item.get("metric") or {}
        by_instance.setdefault(labels.get("instance", ""), []).append(item)
    out = []
    for k in range(size):
        for item in by_instance.get(RECORDED[k % 3], []):
            clone = copy.deepcopy(item)
            for key in ("labels", "metric", "discoveredLabels"):
                if key in clone and "instance" in clone[key]:
                    clone[key]["instance"] = synthetic(k)
            if "discoveredLabels" in clone:
                clone["discoveredLabels"]["__address__"] = synthetic(k)
            out.append(clone)
    return out


class FakePrometheus:
    """`with FakePrometheus("healthy", size=500) as prom: prom.url`; `prom.state = …` switches."""

    def __init__(
        self, state: str, size: int = 3, prefix: str = "", tls: ssl.SSLContext | None = None
    ) -> None:
        self.size = size
        self.prefix = prefix  # a hosted service's path prefix, e.g. "/prometheus"
        self.headers: list[dict[str, str]] = []  # of every request, as received
        self.answers = load_state(state, size)
        self.asked: list[str] = []
        # serialised once: the server shares the GIL with the client it serves
        self._bytes: dict[str, bytes] = {}
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._server.tls = tls
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def switch(self, state: str) -> None:
        self.answers = load_state(state, self.size)
        self._bytes.clear()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakePrometheus:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes]:
        if not path.startswith(self.prefix + "/api/v1/"):
            return 404, b"404 page not found\n"
        if path.endswith("/api/v1/targets"):
            return 200, self._cached("targets", self.answers["targets"])
        if path.endswith("/api/v1/alerts"):
            return 200, self._cached("alerts", self.answers["alerts"])
        if path.endswith("/api/v1/query"):
            promql = query.get("query", [""])[0]
            self.asked.append(promql)
            found = self.answers["queries"].get(promql)
            if found is not None:
                return 200, self._cached(promql, found)
            error = {"status": "error", "errorType": "bad_data", "error": f"not recorded: {promql}"}
            return 400, _dump(error)
        return 404, b"404 page not found\n"

    def _cached(self, key: str, doc: Any) -> bytes:
        if key not in self._bytes:
            self._bytes[key] = _dump(doc)
        return self._bytes[key]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        if self.tls is not None:  # the handshake runs in the request's thread, on first read
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that refused our certificate


def _dump(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _handler(prom: FakePrometheus) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            prom.headers.append({k.lower(): v for k, v in self.headers.items()})
            status, body = prom.answer(parts.path, parse_qs(parts.query))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
