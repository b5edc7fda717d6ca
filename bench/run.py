"""darc-tui's own benchmarks: probe round, console start-up, idle CPU, scale, log parsing.

    .venv/bin/python bench/run.py [--only NAME ...] [--json]

Everything runs against real software on loopback (the demo lab: a real Envoy + backend). Numbers
are printed, never asserted: the test suite checks behaviour, this measures speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from darc_tui.config import parse_config  # noqa: E402
from darc_tui.demo.envoy_process import EnvoyProcess, find_envoy  # noqa: E402
from darc_tui.demo.envoy_yaml import Endpoint, EnvoySpec, render  # noqa: E402
from darc_tui.demo.lab import DemoLab, free_port, to_toml  # noqa: E402
from darc_tui.diagnosis import diagnose  # noqa: E402
from darc_tui.engine import build_engine  # noqa: E402
from darc_tui.parse.access_log import parse_lines  # noqa: E402

Result = dict[str, Any]


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f} ms, p95 {sorted(values)[int(len(values) * 0.95) - 1]:.1f} ms"


def bench_probe_round(lab: DemoLab) -> Result:
    """Wall time of one full probe round (every runbook check, concurrently) against the lab."""
    assert lab.config is not None

    async def rounds() -> list[float]:
        engine = build_engine(lab.config)  # type: ignore[arg-type]
        times = []
        try:
            for _ in range(20):
                t0 = time.perf_counter()
                await engine.run_round()
                times.append((time.perf_counter() - t0) * 1000)
        finally:
            await engine.stop()
        return times

    times = asyncio.run(rounds())
    return {"probes": len(build_engine(lab.config).probes), "round_ms": times, "text": _ms(times)}


def _console(config_path: Path, seconds: float) -> tuple[float, float, float]:
    """Start the console in a pseudo-terminal; (time to first frame, CPU % while idle, RSS MiB)."""
    import psutil

    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    pid, fd = pty.fork()
    if pid == 0:  # child: the real console, as a user starts it
        os.execve(sys.executable, [sys.executable, "-m", "darc_tui", "-c", str(config_path)], env)
    t0 = time.perf_counter()
    seen = b""
    first_frame = float("nan")
    deadline = t0 + 30
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if b"Envoy" in seen and b"Causes" in seen:
                first_frame = (time.perf_counter() - t0) * 1000
                break
    proc = psutil.Process(pid)
    time.sleep(3)  # let the first probe rounds settle; then measure the steady state

    def drain() -> None:
        while select.select([fd], [], [], 0)[0]:
            try:
                os.read(fd, 65536)
            except OSError:
                return

    drain()
    cpu0 = proc.cpu_times()
    w0 = time.perf_counter()
    end = w0 + seconds
    while time.perf_counter() < end:
        select.select([fd], [], [], 0.1)
        drain()
    cpu1 = proc.cpu_times()
    wall = time.perf_counter() - w0
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall * 100
    rss = proc.memory_info().rss / 2**20
    os.write(fd, b"q")
    try:
        proc.wait(10)
    except psutil.TimeoutExpired:
        proc.kill()
    os.close(fd)
    return first_frame, cpu, rss


def bench_console(lab: DemoLab, seconds: float = 15.0) -> Result:
    first, cpu, rss = _console(lab.config_path, seconds)
    return {
        "first_frame_ms": first,
        "idle_cpu_percent": cpu,
        "rss_mib": rss,
        "text": f"first frame {first:.0f} ms; steady CPU {cpu:.1f} % of one core over {seconds:.0f} s "
        f"(probes every {lab.probe_interval:g} s, background traffic on); RSS {rss:.0f} MiB",
    }


def bench_scale(hosts: int = 500) -> Result:
    """A real Envoy whose cluster has `hosts` endpoints: one probe round and one diagnosis."""
    binary = find_envoy()
    assert binary is not None, "no Envoy binary"
    with tempfile.TemporaryDirectory(prefix="darc-bench-") as tmp:
        work = Path(tmp)
        base = 20000
        endpoints = tuple(Endpoint("127.0.0.1", base + i) for i in range(hosts))  # nothing listens
        spec = EnvoySpec(
            admin_port=free_port(),
            listener_port=free_port(),
            endpoints=endpoints,
            access_log_path=str(work / "access.log"),
            hc_interval=5.0,
            hc_timeout=1.0,
        )
        (work / "envoy.yaml").write_text(render(spec))
        envoy = EnvoyProcess(
            work / "envoy.yaml", admin_url=spec.admin_url, workdir=work, binary=binary
        )
        envoy.start_sync(timeout=30)
        try:
            cfg = {
                "site": {"name": "scale", "public_url": spec.listener_url + "/api/health"},
                "envoy": {
                    "admin_url": spec.admin_url,
                    "listener_url": spec.listener_url,
                    "config_path": str(work / "envoy.yaml"),
                    "binary": str(binary),
                    "access_log": str(work / "access.log"),
                    "error_log": "",
                    "unit": "",
                },
                "backend": {"url": f"http://127.0.0.1:{base}", "health_path": "/api/health"},
            }
            config = parse_config(to_toml(cfg))

            async def measure() -> tuple[list[float], list[float]]:
                engine = build_engine(config)
                rounds, diags = [], []
                try:
                    for _ in range(5):
                        t0 = time.perf_counter()
                        await engine.run_round()
                        rounds.append((time.perf_counter() - t0) * 1000)
                        t1 = time.perf_counter()
                        for _ in range(20):
                            diagnose(engine.state, config)
                        diags.append((time.perf_counter() - t1) * 1000 / 20)
                finally:
                    await engine.stop()
                return rounds, diags

            rounds, diags = asyncio.run(measure())
        finally:
            envoy.stop_sync(timeout=10)
    return {
        "hosts": hosts,
        "round_ms": rounds,
        "diagnose_ms": diags,
        "text": f"{hosts}-host cluster: probe round {_ms(rounds)}; diagnose() {_ms(diags)}",
    }


def bench_access_log_parse() -> Result:
    """Parser throughput on recorded real Envoy 1.40 access-log lines."""
    raw = (ROOT / "tests/data/logs/envoy-1.40-default.log").read_bytes()
    lines = raw.decode("utf-8", "replace").splitlines()
    batch = (lines * (100_000 // max(len(lines), 1) + 1))[:100_000]
    t0 = time.perf_counter()
    parse_lines(batch)
    secs = time.perf_counter() - t0
    rate = len(batch) / secs
    return {"lines_per_s": rate, "text": f"{rate:,.0f} lines/s ({len(batch):,} recorded lines)"}


def bench_log_follow() -> Result:
    """End-to-end follower throughput over the loopback sshd (bench/bench_logs.py)."""
    script = ROOT / "bench/bench_logs.py"
    if not script.exists():
        return {"text": "skipped: bench/bench_logs.py not present"}
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600
    )
    out = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
    return {"text": out[-1] if out else f"exit {proc.returncode}", "output": proc.stdout}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = ["probe_round", "console", "scale", "access_log_parse", "log_follow"]
    parser.add_argument("--only", nargs="*", choices=names, default=names)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Result] = {}
    needs_lab = {"probe_round", "console"} & set(args.only)
    lab = DemoLab(probe_interval=1.0).start() if needs_lab else None
    try:
        runs: dict[str, Callable[[], Result]] = {
            "probe_round": lambda: bench_probe_round(lab),  # type: ignore[arg-type]
            "console": lambda: bench_console(lab),  # type: ignore[arg-type]
            "scale": bench_scale,
            "access_log_parse": bench_access_log_parse,
            "log_follow": bench_log_follow,
        }
        for name in args.only:
            results[name] = runs[name]()
            if not args.json:
                print(f"{name:18} {results[name]['text']}", flush=True)
    finally:
        if lab is not None:
            lab.close()
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
