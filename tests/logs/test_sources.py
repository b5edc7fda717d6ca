"""Log sources built from a configuration, and the access source on a real Envoy's log."""

from __future__ import annotations

from pathlib import Path

import httpx

from darc_tui.config import parse_config
from darc_tui.hosts.local import LocalHost
from darc_tui.logs.file_follower import FileFollower
from darc_tui.logs.formats import envoy_log_fields
from darc_tui.logs.journal_follower import JournalFollower
from darc_tui.logs.sources import AccessLogSource, build_source, build_sources
from darc_tui.model import Status
from darc_tui.retry import Backoff
from tests.lab.envoy import MakeLab
from tests.logs._support import RecordingSink, running, until

CONFIG = """
[envoy]
host = "local"
access_log = "/var/log/envoy/access.log"
error_log = "/var/log/envoy/error.log"
unit = "{unit}"
[backend]
url = "http://127.0.0.1:18443"
"""


def test_sources_follow_what_the_configuration_names() -> None:
    hosts = {"local": LocalHost()}
    with_unit = build_sources(parse_config(CONFIG.format(unit="envoy")), hosts)
    assert [s.name for s in with_unit] == ["access", "error", "journal"]
    assert isinstance(with_unit[0], AccessLogSource)
    assert isinstance(with_unit[1], FileFollower) and isinstance(with_unit[2], JournalFollower)
    assert with_unit[2].match == ("-u", "envoy")
    without = build_sources(parse_config(CONFIG.format(unit="")), hosts)
    assert [s.name for s in without] == ["access", "error"]
    # the console's sources show a flood's newest lines; `darc-tui logs` (build_source) prints all
    access, error = with_unit[0], with_unit[1]
    assert access.follower.gate is not None and error.gate is not None
    alone = build_source(parse_config(CONFIG.format(unit="")), hosts, "access")
    assert isinstance(alone, AccessLogSource) and alone.follower.gate is None


def test_envoy_error_log_lines_get_level_and_component() -> None:
    line = (
        "[2026-11-25 16:02:57.240][15921][warning][main] [source/server/server.cc:1028] "
        "caught ENVOY_SIGTERM"
    )
    fields = envoy_log_fields(line)
    assert fields["level"] == "warning" and fields["component"] == "main"
    assert fields["message"] == "caught ENVOY_SIGTERM" and fields["timestamp"] > 1.7e9
    assert envoy_log_fields("not an envoy line") == {}


async def test_access_source_reports_503_uf_from_a_real_envoy(make_lab: MakeLab) -> None:
    lab = make_lab()
    source = AccessLogSource(
        LocalHost(),
        str(lab.access_log),
        config_path=str(lab.yaml_path),
        emit_every=0.1,
        poll_interval=0.2,
        backoff=Backoff(0.05, 0.5),
    )
    sink = RecordingSink()
    async with running(lambda: source.follow(sink)):
        await until(lambda: any(e.probe == "envoy.access_log" for e in sink.seen), "a window")
        lab.backend.down()
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            for _ in range(4):
                await client.get(f"{lab.listener_url}/api/orders")

        def window_503_uf() -> int:
            windows = [e for e in sink.seen if e.probe == "envoy.access_log"]
            return int(windows[-1].facts["by_status_flag"].get("503 UF", 0)) if windows else 0

        await until(lambda: window_503_uf() == 4, "four 503 UF in the window")
    records = [r for r in sink.got if r.fields.get("path") == "/api/orders"]
    assert [(r.fields["status"], r.fields["flags"]) for r in records] == [(503, ["UF"])] * 4
    last = [e for e in sink.seen if e.probe == "envoy.access_log"][-1]
    assert last.status is Status.FAIL and "4 × 503 UF" in last.detail
    assert source.format_note == "default format"


async def test_access_source_without_traffic_is_unknown(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.touch()
    source = AccessLogSource(LocalHost(), str(log), emit_every=0.1, poll_interval=0.2)
    sink = RecordingSink()
    async with running(lambda: source.follow(sink)):
        await until(lambda: any(e.probe == "envoy.access_log" for e in sink.seen), "a window")
    window = next(e for e in sink.seen if e.probe == "envoy.access_log")
    assert window.status is Status.UNKNOWN


async def test_the_engine_runs_the_sources_of_a_lab_config(make_lab: MakeLab) -> None:
    from darc_tui.config import load_config
    from darc_tui.engine.core import Engine
    from darc_tui.hosts import build_hosts

    lab = make_lab()
    config = load_config(lab.write_config())
    hosts = build_hosts(config)
    engine = Engine(config, hosts, [], build_sources(config, hosts))
    await engine.start()
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            await client.get(lab.public_url)
        await until(lambda: bool(engine.state.logs("access")), "access records in the state")
        await until(
            lambda: (
                engine.state.latest("envoy.access_log") is not None
                and engine.state.latest("logs.access") is not None
            ),
            "window and follower evidence",
        )
    finally:
        await engine.stop()
    assert [s.name for s in engine.sources] == ["access", "error"]
