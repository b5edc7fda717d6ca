"""Re-record the real Envoy 1.40 admin outputs in this folder (loopback only, ~40 s).

Run: .venv/bin/python tests/data/envoy-1.40/capture.py
It starts the real Envoy from the venv with `bootstrap.yaml` (ports filled in), small stdlib HTTP
backends whose behaviour is switched between states, and saves each admin endpoint per state.
"""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENVOY = Path(sys.prefix) / "bin" / "envoy"
ENDPOINTS = {
    "clusters.json": "/clusters?format=json",
    "clusters.txt": "/clusters",
    "stats.json": "/stats?format=json",
    "stats_counters.json": "/stats?format=json&type=Counters",
    "stats_gauges.json": "/stats?format=json&type=Gauges",
    "server_info.json": "/server_info",
    "ready.txt": "/ready",
    "config_dump.json": "/config_dump",
    "config_dump_eds.json": "/config_dump?include_eds",
    "config_dump_static_clusters.json": "/config_dump?resource=static_clusters",
    "listeners.json": "/listeners?format=json",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Backend:
    """A loopback HTTP server whose answer is switched at run time (ok, 500, slow, degraded)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mode = "ok"
        self.server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                mode = backend.mode
                if mode == "slow":
                    time.sleep(2.0)
                status = 500 if mode == "error" else 200
                body = b'{"status":"ok"}' if status == 200 else b"boom"
                self.send_response(status)
                if mode == "degraded":
                    self.send_header("x-envoy-degraded", "true")
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        http.server.ThreadingHTTPServer.daemon_threads = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(what: str, check, deadline: float = 20.0, on_timeout=None) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    if on_timeout is not None:
        on_timeout()
    raise SystemExit(f"timed out waiting for {what}")


def host_flags(admin: str, cluster: str) -> list[dict]:  # type: ignore[type-arg]
    data = json.loads(get(admin + "/clusters?format=json")[1])
    for c in data.get("cluster_statuses", []):
        if c["name"] == cluster:
            return [h.get("health_status", {}) for h in c.get("host_statuses", [])]
    return []


def save(admin: str, state: str, responses: list[str], skip: tuple[str, ...] = ()) -> None:
    """Every endpoint's body + HTTP status; `skip` leaves out big files another state already has."""
    out = HERE / state
    out.mkdir(exist_ok=True)
    codes = {}
    for name, path in ENDPOINTS.items():
        if name in skip:
            continue
        status, body = get(admin + path)
        codes[path] = status
        (out / name).write_bytes(body)
    (out / "status_codes.json").write_text(json.dumps(codes, indent=2) + "\n")
    (out / "requests.txt").write_text("\n".join(responses) + "\n")


def through(listener: str, path: str, n: int) -> list[str]:
    lines = []
    for _ in range(n):
        status, body = get(listener + path)
        lines.append(f"GET {path} -> {status} {body[:120].decode('utf-8', 'replace')}")
    return lines


def render(template: str, ports: dict[str, int], workdir: Path) -> str:
    text = template.replace("@DIR@", str(workdir))
    for key, value in ports.items():
        text = text.replace(f"@{key}@", str(value))
    return text


def start_envoy(workdir: Path, config: str, admin_port: int) -> subprocess.Popen[bytes]:
    path = workdir / "envoy.yaml"
    path.write_text(config)
    log = (workdir / "envoy.log").open("wb")
    proc = subprocess.Popen(
        [
            *(str(ENVOY), "-c", str(path), "--concurrency", "1", "--use-dynamic-base-id"),
            *("--log-level", "info", "--drain-time-s", "1", "--parent-shutdown-time-s", "2"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def up() -> bool:
        if proc.poll() is not None:
            raise SystemExit(f"envoy exited: see {workdir / 'envoy.log'}")
        return get(f"http://127.0.0.1:{admin_port}/ready")[0] in (200, 503)

    wait_for("envoy admin", up)
    return proc


def main() -> None:
    names = ["ADMIN", "LISTEN", "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"]
    ports = {n: free_port() for n in names}
    workdir = Path(tempfile.mkdtemp(prefix="darc-capture-"))
    for name in ("cds.yaml", "eds.yaml"):
        (workdir / name).write_text(render((HERE / name).read_text(), ports, workdir))
    backends = {n: Backend(ports[n]) for n in ("B1", "B2", "B3", "B4")}
    for b in backends.values():
        b.start()
    admin = f"http://127.0.0.1:{ports['ADMIN']}"
    listener = f"http://127.0.0.1:{ports['LISTEN']}"
    config = render((HERE / "bootstrap.yaml").read_text(), ports, workdir)
    proc = start_envoy(workdir, config, ports["ADMIN"])
    try:
        wait_for("LIVE", lambda: get(admin + "/ready")[0] == 200)
        wait_for(
            "healthy hosts",
            lambda: all(
                not f.get("failed_active_health_check")
                for c in ("backend_cluster", "nopanic_cluster")
                for f in host_flags(admin, c) or [{"failed_active_health_check": True}]
            ),
        )
        wait_for("eds hosts", lambda: len(host_flags(admin, "eds_cluster")) == 4)
        save(admin, "healthy", through(listener, "/api/health", 3), skip=("config_dump_eds.json",))
        healthy_only = ("config_dump_static_clusters.json",)

        backends["B1"].stop()
        backends["B2"].stop()
        backends["B3"].mode = backends["B4"].mode = "error"
        wait_for(
            "failed hc",
            lambda: all(
                f.get("failed_active_health_check")
                for c in ("backend_cluster", "nopanic_cluster")
                for f in host_flags(admin, c)
            ),
            on_timeout=lambda: print(
                host_flags(admin, "backend_cluster"), host_flags(admin, "nopanic_cluster")
            ),
        )
        lines = through(listener, "/api/health", 3) + through(listener, "/nopanic/health", 3)
        lines += through(listener, "/outlier/x", 8) + through(listener, "/empty/x", 2)
        lines += through(listener, "/nothing", 1)
        wait_for(
            "outlier ejection",
            lambda: any(
                f.get("failed_outlier_check") for f in host_flags(admin, "outlier_cluster")
            ),
        )
        skip = ("stats.json", "config_dump.json", "listeners.json", "server_info.json")
        skip += healthy_only
        save(admin, "backend_down", lines, skip)
        more = through(listener, "/api/health", 5)
        _, body = get(admin + "/stats?format=json&type=Counters")
        (HERE / "backend_down" / "stats_counters_after.json").write_bytes(body)
        (HERE / "backend_down" / "requests_after.txt").write_text("\n".join(more) + "\n")

        backends["B1"] = Backend(ports["B1"])
        backends["B1"].mode = "slow"
        backends["B1"].start()
        backends["B2"] = Backend(ports["B2"])
        backends["B2"].mode = "degraded"
        backends["B2"].start()
        wait_for(
            "hc timeout + degraded",
            lambda: (
                any(f.get("active_hc_timeout") for f in host_flags(admin, "backend_cluster"))
                and any(
                    f.get("failed_active_degraded_check")
                    for f in host_flags(admin, "nopanic_cluster")
                )
            ),
        )
        skip += ("config_dump_eds.json",)
        save(admin, "hc_timeout_degraded", through(listener, "/nopanic/health", 2), skip)

        # POST /healthcheck/fail (darc-tui itself never POSTs) puts the server in DRAINING
        post = urllib.request.Request(admin + "/healthcheck/fail", method="POST")
        urllib.request.urlopen(post, timeout=3).close()
        keep = ("ready.txt", "server_info.json")
        save(admin, "draining", [], tuple(n for n in ENDPOINTS if n not in keep))
    finally:
        proc.terminate()
        proc.wait(10)
        log = (workdir / "envoy.log").read_text()
        (HERE / "envoy.log").write_text(log[-20000:])
    capture_pre_initializing()
    capture_validate()
    for b in backends.values():
        b.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def capture_pre_initializing() -> None:
    """A backend that accepts and never answers + a long HC timeout keeps Envoy PRE_INITIALIZING."""
    ports = {"ADMIN": free_port(), "LISTEN": free_port(), "B1": free_port()}
    hang = socket.socket()
    hang.bind(("127.0.0.1", ports["B1"]))
    hang.listen(16)
    workdir = Path(tempfile.mkdtemp(prefix="darc-capture-"))
    config = render((HERE / "pre_init.yaml").read_text(), ports, workdir)
    proc = start_envoy(workdir, config, ports["ADMIN"])
    try:
        admin = f"http://127.0.0.1:{ports['ADMIN']}"
        skip = ("stats.json", "config_dump_eds.json", "config_dump_static_clusters.json")
        save(admin, "pre_initializing", [], skip)
    finally:
        proc.terminate()
        proc.wait(10)
        hang.close()
        shutil.rmtree(workdir, ignore_errors=True)


VALIDATE_CASES = {
    "ok": lambda t: t,
    "unknown_enum": lambda t: t.replace("type: STATIC", "type: STATIK"),
    "yaml_error": lambda t: t.replace("  clusters:", "  clusters: [\n"),
    "unknown_cluster": lambda t: t.replace(
        "route: {cluster: backend_cluster}", "route: {cluster: nope}"
    ),
    "unknown_field": lambda t: t.replace(
        "connect_timeout: 0.25s", "connect_timeout: 0.25s\n    bogus: 1"
    ),
}


def capture_validate() -> None:
    """`envoy --mode validate -c FILE` on good and broken files: stdout, stderr, exit status."""
    out = HERE / "validate"
    out.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="darc-capture-"))
    good = render(
        (HERE / "pre_init.yaml").read_text(), {"ADMIN": 9901, "LISTEN": 8080, "B1": 18443}, workdir
    )
    cases = {**VALIDATE_CASES, "missing_file": None}
    for name, edit in cases.items():
        path = workdir / f"{name}.yaml"
        if edit is not None:
            path.write_text(edit(good))
        done = subprocess.run(
            [str(ENVOY), "--mode", "validate", "-c", str(path), "--log-level", "error"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        (out / f"{name}.stdout").write_bytes(done.stdout)
        (out / f"{name}.stderr").write_bytes(done.stderr)
        (out / f"{name}.exit").write_text(f"{done.returncode}\n")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
