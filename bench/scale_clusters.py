"""/clusters?format=json at scale: 100 clusters × 100 hosts, and a 32 MiB answer.

    .venv/bin/python bench/scale_clusters.py [--repeat N]

The payload is a real Envoy 1.40 /clusters?format=json host entry (pretty-printed as Envoy sends
it) repeated with distinct addresses. Measured in this process, round after round (medians), each
round beside its baseline, json.loads of the same payload:
- `to_diagnosis`: parse_clusters as ClustersProbe.observe reads it (the configured cluster's hosts
  in full, the 99 others as counts) → the clusters probe's judgement → state → diagnose();
- `to_table`: the same fed to a real Engine (no probes), its snapshot posted to the real console
  (DarcApp headless at 80x24 via Textual's Pilot, the Clusters pane shown), until the app is idle
  and the screen has been rendered: redaction, every pane's update, the host table's 100 rows
  diffed (the two payloads alternate, so every row's request counts change each round);
both in CPU time of this process (`process_time`) and wall time. Then peak RSS growth and time of
the bytes → diagnosis path on a 32 MiB answer in a fresh process (the body already read), against
the payload size. Printed as JSON, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = {
    "address": {"socket_address": {"address": "10.1.0.1", "port_value": 8080}},
    "stats": [
        {"name": "cx_connect_fail"},
        {"value": "3", "name": "cx_total"},
        {"name": "rq_error"},
        {"value": "10937", "name": "rq_success"},
        {"name": "rq_timeout"},
        {"value": "10937", "name": "rq_total"},
        {"type": "GAUGE", "value": "3", "name": "cx_active"},
        {"type": "GAUGE", "name": "rq_active"},
        {"type": "GAUGE", "name": "rq_pending_active"},
    ],
    "health_status": {"eds_health_status": "HEALTHY"},
    "weight": 1,
    "locality": {},
}
BREAKERS = {
    "thresholds": [
        {"max_connections": 1024, "max_pending_requests": 1024, "max_requests": 1024},
        {"priority": "HIGH", "max_connections": 1024, "max_requests": 1024},
    ]
}


def payload(clusters: int, hosts: int) -> bytes:
    out = []
    for c in range(clusters):
        statuses = []
        for h in range(hosts):
            host = json.loads(json.dumps(HOST))
            host["address"]["socket_address"] = {
                "address": f"10.{c // 250}.{c % 250}.{h % 250}",
                "port_value": 8000 + h,
            }
            statuses.append(host)
        name = "backend_cluster" if c == 0 else f"cluster_{c}"
        out.append(
            {
                "name": name,
                "host_statuses": statuses,
                "circuit_breakers": BREAKERS,
                "observability_name": name,
            }
        )
    return json.dumps({"cluster_statuses": out}, indent=1).encode()


def pipeline(body: bytes) -> int:
    """Bytes of /clusters → the probe's evidence → state → findings (as the engine does it)."""
    from darc_tui.config import Config
    from darc_tui.diagnosis import diagnose
    from darc_tui.hosts.local import LocalHost
    from darc_tui.parse.clusters import parse_clusters
    from darc_tui.probes.admin import ClustersProbe, _judge_cluster
    from darc_tui.state import State

    report = parse_clusters(body, "backend_cluster")  # as ClustersProbe.observe reads it
    status, detail, facts = _judge_cluster(report, "backend_cluster")
    probe = ClustersProbe(LocalHost(), "http://127.0.0.1:9901", "backend_cluster")
    state = State()
    state.add(probe.evidence(status, detail, facts=facts, data=report))
    return len(diagnose(state, Config()))


def timings(body: bytes, repeat: int = 5) -> dict[str, Any]:
    """Medians of `repeat` rounds (after one to warm the imports and fill the table)."""
    other = body.replace(b'"10937"', b'"10938"')  # every host's rq_success and rq_total
    assert other != body
    rounds = asyncio.run(_rounds((body, other), repeat + 1))[1:]
    loads_cpu, loads_wall = _median(rounds, 0), _median(rounds, 1)
    out: dict[str, Any] = {"payload_mib": round(len(body) / 2**20, 1), "hosts": 10_000}
    out |= {"json_loads_cpu_ms": loads_cpu, "json_loads_wall_ms": loads_wall}
    for i, name in ((2, "to_diagnosis"), (4, "to_table")):
        cpu, wall = _median(rounds, i), _median(rounds, i + 1)
        out |= {f"{name}_cpu_ms": cpu, f"{name}_wall_ms": wall}
        out[f"{name}_vs_json_loads"] = round(cpu / loads_cpu, 2)
    out["pilot_idle_pause_cpu_ms"] = _median(rounds, 6)  # included in to_table
    out["target"] = "to_table ≤ 3× json.loads and ≤ 100 ms"
    return out


def _median(rounds: list[tuple[float, ...]], i: int) -> float:
    return round(statistics.median(r[i] for r in rounds), 1)


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    cpu, wall = _clock()
    return (cpu - start[0]) * 1000, (wall - start[1]) * 1000


async def _rounds(bodies: tuple[bytes, ...], count: int) -> list[tuple[float, ...]]:
    """Per round: json.loads, bytes → diagnosis, bytes → table drawn, then a Pilot pause with
    nothing to do (its own cost, part of the table's); (cpu ms, wall ms) each."""
    from darc_tui.config import Config
    from darc_tui.engine.core import Engine
    from darc_tui.ui.app import DarcApp

    engine = Engine(Config(), {}, [])
    app = DarcApp(engine, manage_engine=False)
    out = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")  # the Clusters pane
        for n in range(count):
            body = bodies[n % len(bodies)]
            start = _clock()
            json.loads(body)
            loads = _since(start)
            start = _clock()
            pipeline(body)
            diagnosis = _since(start)
            start = _clock()
            await to_table(body, engine, app, pilot)
            table = _since(start)
            start = _clock()
            await pilot.pause()  # nothing left to do: what Pilot's own wait for idle costs
            idle = _since(start)
            out.append((*loads, *diagnosis, *table, *idle))
        rows = app.query_one("#clusters-table").row_count  # type: ignore[attr-defined]
        assert rows == 100, rows  # the configured cluster's hosts are on screen
    return out


async def to_table(body: bytes, engine: Any, app: Any, pilot: Any) -> None:
    """Bytes of /clusters → evidence → the engine's state and diagnosis → its snapshot shown."""
    from darc_tui.hosts.local import LocalHost
    from darc_tui.parse.clusters import parse_clusters
    from darc_tui.probes.admin import ClustersProbe, _judge_cluster
    from darc_tui.ui.messages import SnapshotArrived

    report = parse_clusters(body, "backend_cluster")  # as ClustersProbe.observe reads it
    status, detail, facts = _judge_cluster(report, "backend_cluster")
    probe = ClustersProbe(LocalHost(), "http://127.0.0.1:9901", "backend_cluster")
    engine.feed(probe.evidence(status, detail, facts=facts, data=report))
    app.post_message(SnapshotArrived(engine.snapshot()))
    await pilot.pause()  # handled, then the screen rendered (Screen._on_timer_update)


PEAK = """
import sys
sys.path.insert(0, sys.argv[2])
from bench.scale_clusters import pipeline
import darc_tui.diagnosis, darc_tui.probes.admin
def hwm():  # this process's own peak (ru_maxrss would include the forking parent's)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
import time
body = open(sys.argv[1], "rb").read()
before = hwm()
start = time.perf_counter()
pipeline(body)
print(before, hwm(), time.perf_counter() - start)
"""


def peak_rss(target_mib: float = 32.0, hosts: int = 100) -> dict[str, Any]:
    """`hosts` per cluster, as many clusters as make `target_mib` (hosts=0: one cluster)."""
    if hosts:
        clusters = max(1, int(target_mib * 2**20 / len(payload(1, hosts))))
    else:
        clusters, hosts = 1, int(target_mib * 2**20 / (len(payload(1, 1000)) / 1000))
    body = payload(clusters, hosts)
    path = Path("/tmp/darc-bench-clusters.json")
    path.write_bytes(body)
    try:
        out = subprocess.run(
            [sys.executable, "-c", PEAK, str(path), str(ROOT)],
            capture_output=True, text=True, check=True, timeout=600,
        ).stdout.split()  # fmt: skip
    finally:
        path.unlink(missing_ok=True)
    before, after, seconds = int(out[0]) * 1024, int(out[1]) * 1024, float(out[2])
    return {
        "payload_mib": round(len(body) / 2**20, 1),
        "clusters": clusters,
        "hosts": clusters * hosts,
        "peak_rss_mib": round(after / 2**20),
        "growth_mib": round((after - before) / 2**20),
        "growth_vs_payload": round((after - before) / len(body), 1),
        "pipeline_ms": round(seconds * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds for the medians")
    repeat = parser.parse_args().repeat
    result = {
        "hosts_10k": timings(payload(100, 100), repeat),
        "clusters_32mib": peak_rss(),
        "one_cluster_32mib": peak_rss(hosts=0),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
