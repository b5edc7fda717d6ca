"""Regenerate envoy-1.40-probe-traffic.log: Envoy's default access log with darc-tui's own probe
requests (User-Agent darc-tui/…) mixed into real traffic, and 5xx on the health path and on API
paths, told apart by path.

Run: .venv/bin/python -m tests.data.logs.capture_probe_traffic
A real Envoy (--concurrency 1) in front of the demo backend, everything on 127.0.0.1:
  1. health endpoint 503: darc-tui GETs /api/health 3× (its probes), an outside monitor
     (User-Agent kube-probe/1.29) 2×, users GET /api/orders 4× (200);
  2. API 500: users GET /api/orders 3× and /api/cart 1× (500 from the backend), darc-tui 1×;
  3. backend down: users GET /api/orders 2× (503 UF, Envoy's own), darc-tui OPTIONS 1×.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import httpx

from darc_tui.demo.backend import Backend
from darc_tui.demo.envoy_process import EnvoyProcess
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, render
from darc_tui.hosts.http import http_request
from darc_tui.hosts.local import LocalHost
from tests.lab.lab import free_port

HERE = Path(__file__).resolve().parent
OUT = HERE / "envoy-1.40-probe-traffic.log"


def user(url: str, agent: str = "Mozilla/5.0 (darc user)") -> None:
    try:
        httpx.get(url, headers={"user-agent": agent}, timeout=3, trust_env=False)
    except httpx.HTTPError:
        pass


async def darc_tui(method: str, url: str) -> None:
    """One request exactly as darc-tui's probes send it (its own User-Agent)."""
    await http_request(LocalHost(), method, url, timeout=2)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="darc-capture-probes-"))
    backend = Backend().start()
    spec = EnvoySpec(
        admin_port=free_port(),
        listener_port=free_port(),
        endpoints=(Endpoint("127.0.0.1", backend.port),),
        health_check=False,  # traffic only: no health-check state to wait for
        access_log_path=str(work / "access.log"),
    )
    (work / "envoy.yaml").write_text(render(spec))
    envoy = EnvoyProcess(
        work / "envoy.yaml", admin_url=spec.admin_url, workdir=work, file_flush_interval_ms=100
    )
    envoy.start_sync(timeout=20)
    base = spec.listener_url
    try:
        backend.health_status = 503
        for _ in range(3):
            asyncio.run(darc_tui("GET", f"{base}/api/health"))
        for _ in range(2):
            user(f"{base}/api/health", "kube-probe/1.29")
        for i in range(4):
            user(f"{base}/api/orders?page={i}")
        backend.health_status = 200
        backend.error_status = 500
        for _ in range(3):
            user(f"{base}/api/orders")
        user(f"{base}/api/cart")
        asyncio.run(darc_tui("GET", f"{base}/api/orders"))
        backend.down()
        for _ in range(2):
            user(f"{base}/api/orders")
        asyncio.run(darc_tui("OPTIONS", f"{base}/api/health"))
        time.sleep(0.5)  # the 100 ms flush
    finally:
        envoy.stop_sync()
        backend.stop()
    shutil.copy(work / "access.log", OUT)
    shutil.rmtree(work)
    print(OUT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
