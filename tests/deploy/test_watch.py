"""`darc-tui watch` against a real Envoy: a breaking deploy, a benign hot restart, no deploy."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from darc_tui.config import load_config
from darc_tui.demo.envoy_yaml import Endpoint
from darc_tui.demo.lab import free_port
from darc_tui.deploy.gate import watch
from darc_tui.model import Snapshot
from darc_tui.recording.reader import read_frames
from tests.actions.conftest import (  # noqa: F401 - fixtures used by the hot-restart test
    WrappedEnvoy,
    make_wrapped,
    state_dir,
    wrapped,
)
from tests.actions.loadgen import LoadGenerator
from tests.lab.lab import Lab

pytestmark = pytest.mark.integration
BASELINE_S = 8.0  # healthy time before the deploy: the server_info/config_dump probes run every 5 s


async def run_watch(config_path: Path, seconds: float, **kw: Any) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = await watch(load_config(config_path), seconds, as_json=True, out=out, **kw)
    return code, json.loads(out.getvalue())


def cause_ids(doc: dict[str, Any]) -> list[str]:
    return [c["id"] for c in doc["causes"]]


def test_no_deploy_holds_with_no_deploys_through_the_cli(lab: Lab) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "darc_tui", "watch", "-c", str(lab.write_config()), "--for", "4",
         "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    assert (proc.returncode, doc["verdict"], doc["deploys"], doc["causes"]) == (0, "held", [], [])
    assert doc["comparisons"] == [] and doc["site"] == "ok"
    assert set(doc) >= {"verdict", "deploys", "comparisons", "causes", "generated_at"}


async def test_breaking_deploy_is_a_regression_naming_the_restart_and_the_cause(
    lab: Lab, tmp_path: Path
) -> None:
    config = lab.write_config()
    recording = tmp_path / "deploy.jsonl.gz"
    live: list[tuple[float, list[str]]] = []

    async def deploy() -> None:
        await asyncio.sleep(BASELINE_S)
        wrong = Endpoint("127.0.0.1", free_port())  # nothing listens there
        await asyncio.to_thread(lab.reconfigure, endpoints=(wrong,))

    task = asyncio.create_task(deploy())
    code, doc = await run_watch(config, BASELINE_S + 16, record=str(recording), live=live)
    await task

    print("\nwatch --json after a breaking deploy:\n" + json.dumps(doc, indent=1)[:6000])
    assert code == 1 and doc["verdict"] == "regressed"
    kinds = {d["kind"] for d in doc["deploys"]}
    assert "envoy.restarted" in kinds, doc["deploys"]
    assert "envoy.hot_restart" not in kinds
    ids = cause_ids(doc)
    assert ids[0] == "deploy.regression", ids
    mechanism = {"config.endpoint_mismatch", "backend.down"} & set(ids)
    assert mechanism, ids
    regression = doc["causes"][0]
    assert "envoy restarted" in regression["summary"]
    assert "5xx 0.0% → 100.0%" in regression["summary"], regression["summary"]
    assert any(m in regression["summary"] for m in mechanism), regression["summary"]
    # the cause graph: what the deploy brought in is listed under it, and the site is down
    brought = [c for c in doc["causes"][1:] if c["id"] in mechanism]
    assert brought and brought[0]["explained_by"] == ["deploy.regression"], doc["causes"]
    assert doc["site"] == "down"
    (comparison,) = doc["comparisons"]
    assert comparison["regressed"] and comparison["after"]["rate_5xx"] == 1.0
    assert comparison["before"]["rate_5xx"] == 0.0 and comparison["before"]["probe_requests"] > 5
    assert "regression_found_after_s" in doc
    print(f"deploy → deploy.regression: {doc['regression_found_after_s']} s")

    # the recording replays to the same findings at the same offsets (± one probe round)
    replayed = changes([f.snapshot for f in read_frames(recording)])
    assert [ids for _, ids in replayed] == [ids for _, ids in live]
    interval = load_config(config).probes.interval
    assert all(abs(a - b) <= interval for (a, _), (b, _) in zip(replayed, live, strict=True))


def changes(snaps: list[Snapshot]) -> list[tuple[float, list[str]]]:
    out: list[tuple[float, list[str]]] = []
    start = snaps[0].taken_at
    for snap in snaps:
        ids = [str(f.cause) for f in snap.findings]
        if not out or out[-1][1] != ids:
            out.append((snap.taken_at - start, ids))
    return out


async def test_benign_hot_restart_under_load_is_a_marker_without_regression(
    wrapped: WrappedEnvoy,  # noqa: F811 - the fixture imported above
) -> None:
    config = wrapped.workdir / "darc-tui.toml"
    config.write_text(_toml(wrapped), encoding="utf-8")
    load = LoadGenerator(f"{wrapped.spec.listener_url}/api/health", clients=2, max_seconds=40)

    async def hot_restart() -> None:
        await asyncio.sleep(BASELINE_S)
        wrapped.rewrite(hc_interval=0.7)  # a real config change, applied by the hot restart
        os.kill(wrapped.wrapper_pid, signal.SIGHUP)

    async with load.running():
        await load.wait_for_ok(20)
        task = asyncio.create_task(hot_restart())
        code, doc = await run_watch(config, BASELINE_S + 14)
        await task

    assert load.failures == [], load.failures[:5]
    kinds = {d["kind"] for d in doc["deploys"]}
    assert "envoy.hot_restart" in kinds, doc["deploys"]
    assert "envoy.config_changed" in kinds, doc["deploys"]
    assert (code, doc["verdict"], doc["causes"]) == (0, "held", []), doc
    assert [c["regressed"] for c in doc["comparisons"]] == [False]


def _toml(w: WrappedEnvoy) -> str:
    c = w.config()
    return f"""
[envoy]
host = "local"
admin_url = "{c.envoy.admin_url}"
listener_url = "{c.envoy.listener_url}"
config_path = "{c.envoy.config_path}"
binary = "{c.envoy.binary}"
cluster = "{c.envoy.cluster}"
reload = "hot-restart"
wrapper_pid_file = "{c.envoy.wrapper_pid_file}"
unit = ""
[backend]
url = "{c.backend.url}"
health_path = "/api/health"
[probes]
interval = 0.5
timeout = 1.0
"""
