"""Fleet refresh time: one fleet sample (every query to Prometheus, assembled and diagnosed) and
the fleet table redrawn with it, for 3 real Envoys under a real Prometheus and for 500 synthetic
Envoys replayed from recorded real answers (tests/lab/fake_prometheus.py). Loopback only.

    .venv/bin/python bench/bench_fleet.py [--rounds N]

Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from darc_tui.config import FleetConfig, parse_config  # noqa: E402
from darc_tui.demo.fleet_lab import FleetLab  # noqa: E402
from darc_tui.fleet.collect import FleetSource  # noqa: E402
from darc_tui.fleet.model import FleetSnapshot  # noqa: E402
from darc_tui.ui.fleet_app import FleetApp  # noqa: E402
from tests.lab.fake_prometheus import FakePrometheus  # noqa: E402

BASE = '[envoy]\nadmin_url = "http://127.0.0.1:9901"\n[backend]\nurl = "http://127.0.0.1:1"\n'


async def samples(url: str, rounds: int) -> tuple[list[float], FleetSnapshot]:
    source = FleetSource(FleetConfig(prometheus_url=url))
    times = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            snap = await source.sample()
            times.append((time.perf_counter() - started) * 1000)
            assert not snap.error, snap.error
    finally:
        await source.aclose()
    return times, snap


async def redraws(url: str, snap: FleetSnapshot, rounds: int) -> list[float]:
    """The fleet table brought up to date with one sample (rows diffed, sorted worst first)."""
    app = FleetApp(parse_config(BASE + f"[fleet]\nprometheus_url = {url!r}\n"), sample=False)
    times = []
    async with app.run_test(size=(80, 24)) as pilot:
        for i in range(rounds):
            # alternate between the sample and a copy with the rows reversed: every round moves rows
            shown = (
                snap
                if i % 2 == 0
                else FleetSnapshot(
                    snap.taken_at, tuple(reversed(snap.envoys)), snap.clusters, snap.findings
                )
            )
            started = time.perf_counter()
            app._show(shown)
            await pilot.pause()
            times.append((time.perf_counter() - started) * 1000)
    return times


def line(name: str, times: list[float]) -> str:
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    return f"{name:<44} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with FleetLab() as lab:
        time.sleep(5)  # a full rate window
        times, snap = asyncio.run(samples(lab.prometheus.url, args.rounds))
        print(line(f"fleet sample, {len(snap.envoys)} real Envoys (real Prometheus)", times))
        print(line("  + table redraw", asyncio.run(redraws(lab.prometheus.url, snap, args.rounds))))
    with FakePrometheus("one_wrong_endpoint", size=500) as prom:
        times, snap = asyncio.run(samples(prom.url, args.rounds))
        print(line(f"fleet sample, {len(snap.envoys)} synthetic Envoys (replayed)", times))
        print(line("  + table redraw", asyncio.run(redraws(prom.url, snap, args.rounds))))


if __name__ == "__main__":
    main()
