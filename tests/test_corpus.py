"""The public config corpus on a real Envoy 1.40 (tests/data/envoy-configs/, see SOURCES.md):
`config check` passes, the running config reads the same as the file (no drift), a healthy site
gives no finding and a stopped backend is named first."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from darc_tui.parse.config_dump import parse_config_dump
from darc_tui.parse.envoy_summary import diff
from darc_tui.parse.envoy_yaml import parse_envoy_yaml
from tests.lab.corpus import ENTRIES, CorpusRun, Entry

pytestmark = pytest.mark.integration


def cli(config: Path, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "darc_tui", *args, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def check(config: Path) -> tuple[int, dict[str, Any]]:
    code, out, err = cli(config, "check", "--json")
    assert out.strip(), err
    return code, json.loads(out.strip().splitlines()[-1])


def summary(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["id"], c["summary"]) for c in doc["causes"]]


@pytest.fixture(scope="module", params=ENTRIES, ids=lambda e: e.name)
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, envoy_binary: Path
) -> Iterator[CorpusRun]:
    entry: Entry = request.param
    corpus_run = CorpusRun(entry, tmp_path_factory.mktemp(entry.name), envoy_binary).start()
    try:
        yield corpus_run
    finally:
        corpus_run.close()


def test_config_check_passes(run: CorpusRun) -> None:
    code, out, err = cli(run.darc_config(), "config", "check")
    assert code == 0, out + err


def test_running_config_reads_the_same_as_the_file(run: CorpusRun) -> None:
    disk = parse_envoy_yaml(run.yaml_path.read_text(encoding="utf-8"), source="envoy.yaml")
    body = httpx.get(f"{run.admin_url}/config_dump", timeout=5, trust_env=False).text
    running = parse_config_dump(body)
    assert not disk.error and not running.error
    assert len(running.listeners) == len(disk.listeners) > 0
    assert len(running.clusters) == len(disk.clusters) > 0
    assert diff(disk, running) == []


def test_healthy_site_has_no_finding(run: CorpusRun, request: pytest.FixtureRequest) -> None:
    if not run.entry.healthy_runs:
        pytest.skip(run.entry.why_not)
    run.backend.up()
    run.wait_hosts(healthy=True)
    code, doc = check(run.darc_config())
    assert (doc["verdict"], summary(doc), code) == ("ok", [], 0)
    # Every probe that measured something found it working ("unknown" = nothing to measure, e.g.
    # no active health check; "warn" is about timings on this shared machine).
    if run.entry.probe_gap:
        request.applymarker(pytest.mark.xfail(reason=run.entry.probe_gap, strict=True))
    failed = [
        (p["name"], p["vantage"], p["detail"])
        for p in doc["probes"]
        if p["status"] in ("fail", "error")
    ]
    assert not failed, failed


def test_backend_stopped_is_named_first(run: CorpusRun) -> None:
    if not run.entry.down_runs:
        pytest.skip(run.entry.why_not)
    run.backend.down()
    try:
        run.wait_hosts(healthy=False)
        code, doc = check(run.darc_config())
    finally:
        run.backend.up()
    assert code == 1 and doc["causes"], summary(doc)
    assert doc["causes"][0]["id"] == "backend.down", summary(doc)


def test_an_edited_unnamed_listener_is_drift_named_by_its_address(
    tmp_path: Path, envoy_binary: Path
) -> None:
    """front-proxy's second unnamed listener moved on disk, not reloaded: drift names it."""
    entry = next(e for e in ENTRIES if e.name == "examples-front-proxy")
    corpus_run = CorpusRun(entry, tmp_path, envoy_binary).start()
    try:
        corpus_run.wait_hosts(healthy=True)
        second = corpus_run.doc["static_resources"]["listeners"][1]["address"]["socket_address"]
        old = second["port_value"]
        text = corpus_run.yaml_path.read_text(encoding="utf-8")
        corpus_run.yaml_path.write_text(
            text.replace(f"port_value: {old}", f"port_value: {old + 1}"), encoding="utf-8"
        )
        code, doc = check(corpus_run.darc_config())
    finally:
        corpus_run.close()
    drift = [c for c in doc["causes"] if c["id"] == "config.drift"]
    assert code == 1 and drift, summary(doc)
    assert f"listener 127.0.0.1:{old} present → removed on disk" in drift[0]["summary"]
    assert f"listener 127.0.0.1:{old + 1} absent → added on disk" in drift[0]["summary"]
