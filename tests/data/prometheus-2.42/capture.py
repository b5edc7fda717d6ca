"""Re-record real Prometheus 2.42 answers about three real Envoy 1.40s (loopback only, ~1 min).

Run: .venv/bin/python tests/data/prometheus-2.42/capture.py
It starts darc_tui.demo.fleet_lab (three Envoys behind one backend, Prometheus scraping every
second), puts the fleet in each state and saves, per state, every answer the fleet source asks
for: /api/v1/targets, /api/v1/alerts and each instant query, keyed by its PromQL. Instances are
renamed to envoy-a/b/c:9901 (stable across recordings); nothing else is changed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from darc_tui.demo.fleet_lab import FleetLab  # noqa: E402
from darc_tui.fleet.queries import CLUSTER_RATES, Queries  # noqa: E402

NAMES = ("envoy-a:9901", "envoy-b:9901", "envoy-c:9901")


def queries() -> list[str]:
    q = Queries("envoy", "instance", 4.0)  # 4 × the lab's 1 s scrape interval
    return [q.up(), q.server(), q.membership(), q.downstream_5xx(), q.mangled()] + [
        q.cluster_rate(name) for name in CLUSTER_RATES
    ]


def record(lab: FleetLab, state: str) -> None:
    base = lab.prometheus.url
    doc: dict[str, object] = {"queries": {}}
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as client:
        doc["targets"] = client.get("/api/v1/targets", params={"state": "active"}).json()
        doc["alerts"] = client.get("/api/v1/alerts").json()
        for promql in queries():
            doc["queries"][promql] = client.get("/api/v1/query", params={"query": promql}).json()  # type: ignore[index]
    text = json.dumps(doc, indent=1, sort_keys=True)
    for envoy, name in zip(lab.envoys, NAMES, strict=True):
        text = text.replace(envoy.instance, name)
    (HERE / f"{state}.json").write_text(text + "\n", encoding="utf-8")
    print(f"recorded {state}")


def settle(seconds: float = 7.0) -> None:
    time.sleep(seconds)  # a scrape, then a full 4 s rate window


def main() -> None:
    states: list[tuple[str, Callable[[FleetLab], None], Callable[[FleetLab], None]]] = [
        ("healthy", lambda lab: None, lambda lab: None),
        ("backend_down", lambda lab: lab.backend.down(), lambda lab: lab.backend.up()),
        ("one_wrong_endpoint", lambda lab: lab.break_envoy(1), lambda lab: lab.heal_envoy(1)),
        ("one_stopped", lambda lab: lab.stop_envoy(2), lambda lab: lab.start_envoy(2)),
        ("one_overloaded", lambda lab: lab.overload(1), lambda lab: lab.calm(1)),
        (
            "dotted_cluster",
            lambda lab: lab.reconfigure(0, cluster_name="www.darc.kr_backend"),
            lambda lab: lab.reconfigure(0, cluster_name="backend_cluster"),
        ),
    ]
    with FleetLab() as lab:
        settle()
        for state, breaks, heals in states:
            breaks(lab)
            settle()
            record(lab, state)
            heals(lab)
            for envoy in lab.envoys:
                lab.wait_cluster(envoy, healthy=True)
            lab.prometheus.wait_up(len(lab.envoys))
            settle()


if __name__ == "__main__":
    main()
