"""`darc-tui fleet --json` against three real Envoys scraped every second by a real Prometheus.

One lab per module; each test breaks something, waits for the fleet to say so, and heals it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from darc_tui.cli import main
from darc_tui.config import FleetConfig
from darc_tui.demo.fleet_lab import FleetLab
from darc_tui.fleet.prometheus import PrometheusClient, PrometheusError

Doc = dict[str, Any]
SETTLE = 40.0  # seconds: Prometheus sees a change within a scrape + a 4 s rate window


def fleet_json(lab: FleetLab, capsys: pytest.CaptureFixture[str]) -> tuple[int, Doc]:
    code = main(["fleet", "-c", str(lab.config_path), "--json"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


def fleet_until(
    lab: FleetLab, capsys: pytest.CaptureFixture[str], done: Callable[[int, Doc], bool], what: str
) -> tuple[int, Doc]:
    """Run `fleet --json` until `done(code, doc)`; fail naming `what` and the last answer."""
    deadline = time.monotonic() + SETTLE
    while True:
        code, doc = fleet_json(lab, capsys)
        if done(code, doc):
            return code, doc
        if time.monotonic() > deadline:
            pytest.fail(f"fleet never showed {what}; last answer: {json.dumps(doc)[:3000]}")


def causes(doc: Doc, cause: str) -> list[Doc]:
    return [c for c in doc["causes"] if c["id"] == cause]


def healthy(code: int, doc: Doc) -> bool:
    return code == 0 and len(doc["envoys"]) == 3 and all(e["up"] for e in doc["envoys"])


def test_healthy_fleet_exits_0_with_every_envoy_up_and_live(
    fleet_lab: FleetLab, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = fleet_until(fleet_lab, capsys, healthy, "a healthy fleet")
    assert {e["instance"] for e in doc["envoys"]} == {e.instance for e in fleet_lab.envoys}
    for envoy in doc["envoys"]:
        assert envoy["live"] is True and envoy["epoch"] == 0
        assert envoy["worst_cluster"] == "backend_cluster"
        assert (envoy["clusters_healthy"], envoy["clusters_total"]) == (1, 1)
        assert envoy["uptime_s"] > 0 and envoy["rq_5xx_per_s"] == 0
    assert doc["clusters"] == [
        {"name": "backend_cluster", "envoys_unhealthy": 0, "envoys_total": 3}
    ]
    assert doc["causes"] == [] and doc["warnings"] == []
    assert set(doc) >= {"envoys", "clusters", "causes", "generated_at"}


def test_shared_backend_down_is_unhealthy_on_3_of_3_envoys(
    fleet_lab: FleetLab, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet_lab.backend.down()
    try:
        code, doc = fleet_until(
            fleet_lab,
            capsys,
            lambda _c, d: bool(causes(d, "fleet.cluster_unhealthy")),
            "fleet.cluster_unhealthy",
        )
        assert code == 1
        (finding,) = causes(doc, "fleet.cluster_unhealthy")
        assert "3/3 Envoys" in finding["summary"] and "shared backend" in finding["summary"]
        assert {e["target"] for e in finding["evidence"]} == {e.instance for e in fleet_lab.envoys}
        assert doc["clusters"][0] == {
            "name": "backend_cluster",
            "envoys_unhealthy": 3,
            "envoys_total": 3,
        }
        # the root cause leads; the 503s it causes follow
        assert doc["causes"][0]["id"] == "fleet.cluster_unhealthy"
        assert "fleet.errors" in [c["id"] for c in doc["causes"]]
    finally:
        fleet_lab.backend.up()
        for envoy in fleet_lab.envoys:
            fleet_lab.wait_cluster(envoy, healthy=True)


def test_one_wrong_endpoint_is_unhealthy_on_1_of_3_naming_that_envoy(
    fleet_lab: FleetLab, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = fleet_lab.envoys[1]
    fleet_lab.break_envoy(1)
    try:
        _, doc = fleet_until(
            fleet_lab,
            capsys,
            lambda _c, d: bool(causes(d, "fleet.cluster_unhealthy")),
            "fleet.cluster_unhealthy on one Envoy",
        )
        (finding,) = causes(doc, "fleet.cluster_unhealthy")
        assert "1/3 Envoys" in finding["summary"]
        assert f"only {broken.instance} sees it" in finding["summary"]
        assert [e["target"] for e in finding["evidence"]] == [broken.instance]
        assert doc["envoys"][0]["instance"] == broken.instance  # worst first
        assert doc["clusters"][0]["envoys_unhealthy"] == 1
        assert finding["ruled_out"] == ["the backend as a whole: 2/3 Envoys see it healthy"]
    finally:
        fleet_lab.heal_envoy(1)
        fleet_lab.wait_cluster(broken, healthy=True)


def test_stopped_envoy_is_fleet_envoy_down(
    fleet_lab: FleetLab, capsys: pytest.CaptureFixture[str]
) -> None:
    stopped = fleet_lab.envoys[2]
    fleet_lab.stop_envoy(2)
    try:
        code, doc = fleet_until(
            fleet_lab,
            capsys,
            lambda _c, d: bool(causes(d, "fleet.envoy_down")),
            "fleet.envoy_down",
        )
        assert code == 1
        (finding,) = causes(doc, "fleet.envoy_down")
        assert "1/3 Envoys down" in finding["summary"]
        assert stopped.instance in finding["summary"]
        row = next(e for e in doc["envoys"] if e["instance"] == stopped.instance)
        assert row["up"] is False and doc["envoys"][0] == row
        assert doc["causes"][0]["id"] == "fleet.envoy_down"
    finally:
        fleet_lab.start_envoy(2)
        fleet_lab.wait_cluster(stopped, healthy=True)
        fleet_lab.prometheus.wait_up(3)


def test_dotted_cluster_name_gives_a_warning(
    fleet_lab: FleetLab, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet_lab.reconfigure(0, cluster_name="www.darc.kr_backend")
    try:
        _, doc = fleet_until(
            fleet_lab, capsys, lambda _c, d: bool(d["warnings"]), "a dotted-name warning"
        )
        (warning,) = doc["warnings"]
        assert "envoy#5239" in warning and fleet_lab.envoys[0].instance in warning
        assert 'envoy_cluster_darc_kr_backend_*{envoy_cluster_name="www"}' in warning
        # its health is still read from the cut-apart series
        row = next(e for e in doc["envoys"] if e["instance"] == fleet_lab.envoys[0].instance)
        assert row["worst_cluster"] == "www.darc_kr_backend"
    finally:
        fleet_lab.reconfigure(0, cluster_name="backend_cluster")
        fleet_lab.wait_cluster(fleet_lab.envoys[0], healthy=True)


def test_text_report_and_stderr_warning(
    fleet_lab: FleetLab, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet_until(fleet_lab, capsys, healthy, "a healthy fleet")
    code = main(["fleet", "-c", str(fleet_lab.config_path)])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "3 Envoys: no cause found" in out
    for envoy in fleet_lab.envoys:
        assert envoy.instance in out


async def test_client_range_query_targets_alerts_and_errors_on_the_real_prometheus(
    fleet_lab: FleetLab,
) -> None:
    config = FleetConfig(prometheus_url=fleet_lab.prometheus.url)
    async with PrometheusClient(config) as prom:
        now = time.time()
        series = await prom.query_range('up{job="envoy"}', now - 5, now, 1)
        assert {s.labels["instance"] for s in series} == {e.instance for e in fleet_lab.envoys}
        assert all(len(s.points) >= 2 for s in series)
        targets = await prom.targets()
        assert {t.labels["instance"] for t in targets} == {e.instance for e in fleet_lab.envoys}
        assert {t.scrape_interval_s for t in targets} == {1.0}
        assert await prom.alerts() == []  # the lab has no alerting rules
        with pytest.raises(PrometheusError, match=r"api/v1/query: HTTP 400: .*parse error"):
            await prom.query("up{")


def test_circuit_breaker_overflow_on_one_envoy_is_fleet_overflow(
    fleet_lab: FleetLab, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = fleet_lab.envoys[1]
    fleet_lab.overload(1)
    try:
        _, doc = fleet_until(
            fleet_lab, capsys, lambda _c, d: bool(causes(d, "fleet.overflow")), "fleet.overflow"
        )
        (finding,) = causes(doc, "fleet.overflow")
        assert "1/3 Envoys" in finding["summary"] and loaded.instance in finding["summary"]
        row = next(e for e in doc["envoys"] if e["instance"] == loaded.instance)
        assert row["overflow_per_s"] > 0
        # the hosts stay healthy: overflow is not an unhealthy cluster
        assert not causes(doc, "fleet.cluster_unhealthy")
    finally:
        fleet_lab.calm(1)
        fleet_lab.wait_cluster(loaded, healthy=True)
