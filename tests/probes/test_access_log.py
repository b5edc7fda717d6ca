"""The run-once access-log probe against a real Envoy's log, and against recorded lines."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from darc_tui.hosts.http import http_request
from darc_tui.hosts.local import LocalHost
from darc_tui.model import Status
from darc_tui.probes.access_log import AccessLogProbe
from tests.lab.envoy import MakeLab
from tests.logs._support import until

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"
DETAILS_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" '
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST% %DURATION%"
)


def fresh_default_lines(count: int) -> bytes:
    """The recorded UF line, re-stamped to now (the window is the last 60 s)."""
    uf = next(
        line
        for line in (DATA / "envoy-1.40-default.log").read_bytes().splitlines()
        if b" 503 UF " in line
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()).encode()
    return b"".join(b"[" + stamp + uf[uf.index(b"]") :] + b"\n" for _ in range(count))


async def test_counts_fresh_503_uf_lines(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"garbage\n" + fresh_default_lines(41))
    ev = await AccessLogProbe(LocalHost(), str(log)).run()
    assert ev.status is Status.FAIL
    assert ev.detail.startswith("41 × 503 UF in 60 s")
    assert ev.facts["by_status_flag"] == {"503 UF": 41} and ev.facts["unparsed"] == 1
    assert ev.probe == "envoy.access_log" and "tail -c 262144" in ev.command


async def test_old_lines_mean_no_requests_in_the_window(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes((DATA / "envoy-1.40-default.log").read_bytes())  # recorded long ago
    ev = await AccessLogProbe(LocalHost(), str(log)).run()
    assert ev.status is Status.UNKNOWN and ev.detail == "no requests in the last 60 s"


async def test_missing_file_is_an_error(tmp_path: Path) -> None:
    ev = await AccessLogProbe(LocalHost(), str(tmp_path / "nope.log")).run()
    assert ev.status is Status.ERROR and "No such file" in ev.detail


async def test_real_envoy_with_the_backend_down_shows_503_uf_with_details(
    make_lab: MakeLab,
) -> None:
    lab = make_lab(access_log_format=DETAILS_FORMAT)
    lab.backend.down()
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        for _ in range(5):
            response = await client.get(f"{lab.listener_url}/api/orders")
            assert response.status_code == 503
    await until(
        lambda: sum("/api/orders" in line for line in lab.access_log_lines()) == 5, "5 lines"
    )
    probe = AccessLogProbe(LocalHost(), str(lab.access_log), config_path=str(lab.yaml_path))
    ev = await probe.run()
    assert ev.facts["format"].startswith("format from ")
    assert ev.facts["by_status_flag"].get("503 UF") == 5, ev.facts
    details = ev.facts["by_details"]
    assert any(d.startswith("upstream_reset_before_response_started") for d in details), details
    assert ev.status is Status.FAIL


async def test_real_envoy_log_counts_darc_tuis_own_requests_apart(make_lab: MakeLab) -> None:
    """darc-tui's probes (User-Agent darc-tui/…) are not traffic; users' 5xx are, per path."""
    lab = make_lab()
    lab.backend.error_status = 500
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        for path in ("/api/orders", "/api/orders", "/api/cart"):
            assert (await client.get(f"{lab.listener_url}{path}")).status_code == 500
    for _ in range(4):
        ours = await http_request(LocalHost(), "GET", f"{lab.listener_url}/api/orders", timeout=2)
        assert ours.status == 500
    await until(lambda: len(lab.access_log_lines()) == 7, "7 lines")
    probe = AccessLogProbe(LocalHost(), str(lab.access_log), config_path=str(lab.yaml_path))
    ev = await probe.run()
    assert (ev.facts["total"], ev.facts["probe_requests"]) == (3, 4), ev.facts
    assert ev.facts["by_path_upstream_5xx"] == {"/api/orders": 2, "/api/cart": 1}
    assert ev.detail == "3 × 500 - in 60 s (3 of 3 requests 5xx)", ev.detail
