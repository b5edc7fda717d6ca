"""cors.preflight against a real Envoy with and without the site origin in its CORS policy."""

from __future__ import annotations

from pathlib import Path

from darc_tui.config import LOCAL, Config, SiteConfig
from darc_tui.diagnosis import diagnose
from darc_tui.hosts.local import LocalHost
from darc_tui.model import Status, Vantage
from darc_tui.probes.cors import CorsPreflightProbe, build
from darc_tui.state import State
from tests.lab.envoy import MakeLab
from tests.lab.lab import free_port
from tests.probes._hosts import lab_config

SITE = "https://www.darc.kr"


async def test_allowed_origin_passes_and_lists_the_access_control_headers(
    make_lab: MakeLab, tmp_path: Path
) -> None:
    lab = make_lab()
    (probe,) = build(lab_config(lab, tmp_path), {LOCAL: LocalHost()})
    ev = await probe.run()
    assert ev.status is Status.OK and ev.vantage is Vantage.JUMP
    assert ev.facts["allow_origin"] == SITE and ev.facts["allowed"] is True
    assert "GET" in str(ev.facts["allow_methods"])
    assert "content-type" in str(ev.facts["allow_headers"])
    assert ev.facts["max_age"] == "86400"
    assert "-X OPTIONS" in ev.command and f"'Origin: {SITE}'" in ev.command


async def test_origin_missing_from_the_policy_fails(make_lab: MakeLab, tmp_path: Path) -> None:
    lab = make_lab()
    config = lab_config(lab, tmp_path, site={"origin": "https://evil.example"})
    (probe,) = build(config, {LOCAL: LocalHost()})
    ev = await probe.run()
    assert ev.status is Status.FAIL and ev.facts["allowed"] is False
    assert ev.facts["allow_origin"] == ""
    assert "no Access-Control-Allow-Origin" in ev.detail


async def test_envoy_without_cors_filter_fails_the_site_origin(
    make_lab: MakeLab, tmp_path: Path
) -> None:
    lab = make_lab(cors_origins=())
    config = lab_config(lab, tmp_path, site={"origin": SITE})
    (probe,) = build(config, {LOCAL: LocalHost()})
    ev = await probe.run()
    assert ev.status is Status.FAIL and ev.facts["origin"] == SITE


async def test_envoys_own_503_is_marked_a_local_reply_and_names_no_cors_cause(
    make_lab: MakeLab, tmp_path: Path
) -> None:
    """Backend down: the preflight the CORS filter passes on gets Envoy's 503 UF, not the
    backend's CORS logic, so it says nothing about CORS."""
    lab = make_lab(cors_origins=())
    config = lab_config(lab, tmp_path, site={"origin": SITE})
    lab.backend.down()
    (probe,) = build(config, {LOCAL: LocalHost()})
    ev = await probe.run()
    assert ev.facts["status"] == 503 and ev.facts["local_reply"] is True
    assert ev.facts["flag"] == "UF"
    state = State()
    state.add(ev)
    assert [f for f in diagnose(state, config) if f.cause == "cors.origin_not_allowed"] == []


async def test_empty_origin_is_skipped_not_ok() -> None:
    probe = CorsPreflightProbe(LocalHost(), "http://127.0.0.1:1/api/health", "")
    ev = await probe.run()
    assert ev.status is Status.UNKNOWN and "site.origin is empty" in ev.detail


async def test_unreachable_url_is_an_error_not_a_cors_verdict() -> None:
    url = f"http://127.0.0.1:{free_port()}/api/health"
    ev = await CorsPreflightProbe(LocalHost(), url, SITE, timeout=1.0).run()
    assert ev.status is Status.ERROR and ev.facts["error"] == "connection refused"


def test_no_public_url_builds_no_probe() -> None:
    assert build(Config(site=SiteConfig(origin=SITE)), {LOCAL: LocalHost()}) == []
