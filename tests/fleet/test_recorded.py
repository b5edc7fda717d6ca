"""The fleet source end to end on answers recorded from the real Prometheus 2.42 (three real
Envoy 1.40s, tests/data/prometheus-2.42/), replayed over loopback HTTP; and the same answers
scaled to 500 synthetic Envoys for the fleet table."""

from __future__ import annotations

import asyncio
import base64
import shutil
import ssl
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from darc_tui.config import FleetConfig, parse_config
from darc_tui.fleet.collect import FleetSource
from darc_tui.fleet.model import FleetSnapshot, Scrape
from darc_tui.ui.fleet_app import FleetApp
from tests.conftest import require
from tests.lab.fake_prometheus import FakePrometheus, synthetic

BIG = 500


def sample(prom: FakePrometheus, **overrides: object) -> FleetSnapshot:
    config = replace(FleetConfig(prometheus_url=prom.url), **overrides)  # type: ignore[arg-type]

    async def once() -> FleetSnapshot:
        source = FleetSource(config)
        try:
            return await source.sample()
        finally:
            await source.aclose()

    return asyncio.run(once())


def causes(snap: FleetSnapshot) -> list[str]:
    return [f.cause for f in snap.findings]


def test_recorded_healthy_fleet_has_no_cause_and_a_4s_window() -> None:
    with FakePrometheus("healthy") as prom:
        snap = sample(prom)
    assert snap.error == "" and causes(snap) == [] and snap.warnings == ()
    assert [e.instance for e in snap.envoys] == ["envoy-a:9901", "envoy-b:9901", "envoy-c:9901"]
    assert all(e.up and e.live and e.worst_cluster for e in snap.envoys)
    assert snap.window_s == 4.0  # 4 × the recorded 1 s scrape interval


@pytest.mark.parametrize(
    ("state", "cause", "words"),
    [
        ("backend_down", "fleet.cluster_unhealthy", ["3/3 Envoys", "shared backend"]),
        ("one_wrong_endpoint", "fleet.cluster_unhealthy", ["1/3 Envoys", "only envoy-b:9901"]),
        ("one_stopped", "fleet.envoy_down", ["1/3 Envoys down", "envoy-c:9901", "refused"]),
        ("one_overloaded", "fleet.overflow", ["1/3 Envoys", "envoy-b:9901", "503 UO"]),
    ],
)
def test_recorded_fault_leads_with_its_cause(state: str, cause: str, words: list[str]) -> None:
    with FakePrometheus(state) as prom:
        snap = sample(prom)
    assert causes(snap)[0] == cause, [f.summary for f in snap.findings]
    text = snap.findings[0].summary + " ".join(r.fact for r in snap.findings[0].evidence)
    for word in words:
        assert word in text


def test_recorded_stopped_envoy_is_first_and_down() -> None:
    with FakePrometheus("one_stopped") as prom:
        snap = sample(prom)
    first = snap.envoys[0]
    assert (first.instance, first.scrape) == ("envoy-c:9901", Scrape.DOWN)
    assert "connection refused" in first.scrape_error
    assert [c.envoys_total for c in snap.clusters] == [2]  # only scraped Envoys count


def test_recorded_dotted_cluster_warns_and_is_still_read() -> None:
    with FakePrometheus("dotted_cluster") as prom:
        snap = sample(prom)
    (warning,) = snap.warnings
    assert "envoy#5239" in warning and "envoy-a:9901" in warning
    row = snap.envoy("envoy-a:9901")
    assert row is not None and row.worst_cluster is not None
    assert row.worst_cluster.name == "www.darc_kr_backend" and row.worst_cluster.total == 1
    # its cluster set differs from the other two Envoys': skew, naming the odd one out
    (skew,) = [f for f in snap.findings if f.cause == "fleet.config_skew"]
    assert "clusters differs on envoy-a:9901" in skew.summary


def test_a_threshold_above_the_recorded_5xx_rate_silences_fleet_errors() -> None:
    with FakePrometheus("backend_down") as prom:
        loud = sample(prom)
        quiet = sample(prom, max_5xx_per_s=1000.0)
    assert "fleet.errors" in causes(loud) and "fleet.errors" not in causes(quiet)


def test_500_synthetic_envoys_rank_the_broken_third_first() -> None:
    with FakePrometheus("one_wrong_endpoint", size=BIG) as prom:
        snap = sample(prom)
    assert len(snap.envoys) == BIG
    broken = {synthetic(k) for k in range(BIG) if k % 3 == 1}
    assert {e.instance for e in snap.envoys[: len(broken)]} == broken
    (spread,) = snap.clusters
    assert (len(spread.envoys_unhealthy), spread.envoys_total) == (len(broken), BIG)
    assert f"{len(broken)}/{BIG} Envoys" in snap.findings[0].summary


async def test_fleet_table_with_500_envoys_at_80x24_filters_and_drills() -> None:
    with FakePrometheus("one_wrong_endpoint", size=BIG) as prom:
        text = f"[fleet]\nprometheus_url = {prom.url!r}\nrefresh = 60.0\n"
        base = (
            '[envoy]\nadmin_url = "http://127.0.0.1:9901"\n[backend]\nurl = "http://127.0.0.1:1"\n'
        )
        app = FleetApp(parse_config(base + text))
        async with app.run_test(size=(80, 24)) as pilot:
            async with asyncio.timeout(30):
                while app.envoys.row_count < BIG:
                    await asyncio.sleep(0.05)
            first = app.envoys.get_row_at(0)
            assert first[0].plain == synthetic(1)  # a broken one, worst first
            await pilot.press("slash", *"envoy-0042")
            async with asyncio.timeout(10):
                while app.envoys.row_count != 1:
                    await pilot.pause()
            await pilot.press("enter", "enter")
        assert app.return_value is not None
        assert getattr(app.return_value, "instance", None) == synthetic(42)


def test_hosted_service_prefix_headers_and_basic_auth_reach_the_api(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    with FakePrometheus("healthy", prefix="/prometheus") as prom:
        snap = sample(
            prom,
            prometheus_url=prom.url + "/prometheus/",
            headers={"X-Scope-OrgID": "ops"},
            username="darc",
            password_file=str(secret),
        )
    assert snap.error == "" and len(snap.envoys) == 3
    assert len(prom.headers) == 11  # targets, alerts and the nine queries
    for sent in prom.headers:
        assert sent["x-scope-orgid"] == "ops"
        assert sent["authorization"] == "Basic " + base64.b64encode(b"darc:s3cret").decode()


def test_a_path_prefix_missing_from_the_url_is_one_line_error() -> None:
    with FakePrometheus("healthy", prefix="/prometheus") as prom:
        snap = sample(prom)
    assert snap.envoys == () and "\n" not in snap.error
    assert snap.error.startswith(f"{prom.url}/api/v1/query: HTTP 404")


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    require(shutil.which("openssl") is not None, "openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=prom",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def test_tls_with_the_services_ca_file_and_one_line_without_it(
    tls_files: tuple[Path, Path],
) -> None:
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FakePrometheus("healthy", tls=context) as prom:
        trusted = sample(prom, ca_file=str(cert))
        unknown = sample(prom)
        unchecked = sample(prom, verify=False)
    assert trusted.error == "" and len(trusted.envoys) == 3
    assert "\n" not in unknown.error and "CERTIFICATE_VERIFY_FAILED" in unknown.error
    assert unchecked.error == ""
