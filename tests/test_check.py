"""`darc-tui check` end to end against the real lab: a real Envoy, backend and OpenSSH sshd."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.lab.lab import Lab
from tests.lab.sshd import Sshd

pytestmark = pytest.mark.integration


def check(config: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Run the real CLI in a subprocess, the way a user or a script does."""
    proc = subprocess.run(
        [sys.executable, "-m", "darc_tui", "check", "-c", str(config), "--json", *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip(), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def probes(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p for p in doc["probes"] if p["name"] == name]


def timing_noise(p: dict[str, Any]) -> bool:
    """A warning that only says this machine is busy: its own load, or an answer that was slow
    (over half the timeout) while a 2-core machine runs Envoy, sshd and the tests at once."""
    return p["status"] == "warn" and (p["name"] == "host.load" or "slow" in p["detail"])


def outcome(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (p["name"], p["vantage"], "ok" if timing_noise(p) else p["status"]) for p in doc["probes"]
    }


def test_healthy_lab_is_ok_with_every_probe_ok(lab: Lab) -> None:
    code, doc, _ = check(lab.write_config())
    assert (doc["verdict"], doc["causes"], code) == ("ok", [], 0)
    # Two exceptions that are not about the lab: an idle access log has no data ("unknown", never
    # "ok"), and host.load reads this machine's load, which a busy test run can push to "warn".
    allowed = {"envoy.access_log": {"ok", "unknown"}}
    odd = [
        p
        for p in doc["probes"]
        if p["status"] not in allowed.get(p["name"], {"ok"}) and not timing_noise(p)
    ]
    assert not odd, odd
    # the three vantage points of the runbook's "is the backend fine?"
    vantages = {p["vantage"] for p in probes(doc, "backend.health")}
    assert {"jump-box", "envoy-host", "through-envoy"} <= vantages
    for p in doc["probes"]:
        assert p["command"], p  # every probe says what an engineer would type
    assert set(doc) >= {"verdict", "causes", "probes", "generated_at"}


def test_backend_stopped_makes_the_backend_probes_fail_with_refused(lab: Lab) -> None:
    lab.backend.down()
    lab.wait_unhealthy()
    code, doc, _ = check(lab.write_config())
    assert code == 1 and doc["verdict"] != "ok"
    direct = [p for p in probes(doc, "backend.health") if p["vantage"] != "through-envoy"]
    assert direct and all(p["status"] == "fail" for p in direct)
    assert all("refused" in p["detail"] for p in direct), direct
    tcp = probes(doc, "backend.tcp")
    assert tcp and tcp[0]["status"] == "fail" and "refused" in tcp[0]["detail"]
    assert doc["causes"][0]["id"] == "backend.down"


def test_envoy_host_over_ssh_gives_the_same_results_as_local(lab: Lab, sshd: Sshd) -> None:
    _, local, _ = check(lab.write_config())
    edge = sshd.host_config("edge")
    remote_cfg = lab.write_config(
        lab.workdir / "ssh.toml",
        envoy={"host": "edge"},
        hosts={
            "edge": {
                "address": edge.address,
                "port": edge.port,
                "user": edge.user,
                "identity_file": edge.identity_file,
                "known_hosts": edge.known_hosts,
            }
        },
    )
    _, remote, stderr = check(remote_cfg)
    assert remote["verdict"] == "ok", remote["causes"]
    assert outcome(remote) == outcome(local), stderr
    envoy_side = [p for p in remote["probes"] if p["vantage"] == "envoy-host"]
    assert envoy_side and any("ssh" in p.get("via", "") for p in envoy_side), envoy_side


def test_unreachable_ssh_host_is_evidence_not_a_traceback(lab: Lab, tmp_path: Path) -> None:
    closed = tmp_path / "known_hosts"
    closed.write_text("")
    cfg = lab.write_config(
        lab.workdir / "down.toml",
        envoy={"host": "edge"},
        hosts={"edge": {"address": "127.0.0.1", "port": 1, "known_hosts": str(closed)}},
    )
    code, doc, _stderr = check(cfg)
    assert code == 1
    envoy_side = [p for p in doc["probes"] if p["vantage"] == "envoy-host"]
    assert envoy_side and all(p["status"] in ("error", "unknown") for p in envoy_side)
    assert any("host down" in p["detail"].lower() for p in envoy_side), envoy_side
    # seeing nothing from the Envoy host is not evidence that Envoy or the backend is down
    ids = [c["id"] for c in doc["causes"]]
    assert "envoy.down" not in ids and "backend.down" not in ids, ids
    assert ids[0] == "host.unreachable", ids
    assert "edge" in doc["causes"][0]["summary"] and "refused" in doc["causes"][0]["summary"]


def test_hostile_config_values_reach_the_remote_side_as_literal_arguments(
    lab: Lab, sshd: Sshd, tmp_path: Path
) -> None:
    canary = tmp_path / "CANARY"
    hostile = f"/nonexistent/$(touch {canary});touch {canary}`touch {canary}`'\"\nx.yaml"
    edge = sshd.host_config("edge")
    cfg = lab.write_config(
        lab.workdir / "hostile.toml",
        envoy={
            "host": "edge",
            "config_path": hostile,
            "access_log": hostile,
            "error_log": hostile,
            "cluster": f"c;touch {canary}",
        },
        hosts={
            "edge": {
                "address": edge.address,
                "port": edge.port,
                "user": edge.user,
                "identity_file": edge.identity_file,
                "known_hosts": edge.known_hosts,
            }
        },
    )
    _code, doc, _ = check(cfg)
    assert not canary.exists()
    assert doc["probes"]  # it ran, and reported the odd paths as evidence
    cfg_file = probes(doc, "envoy.config_file")
    assert cfg_file and cfg_file[0]["status"] in ("error", "fail")


def test_config_check_summarises_the_lab(lab: Lab) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "darc_tui", "config", "check", "-c", str(lab.write_config())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"cluster {lab.spec.cluster_name} endpoints 127.0.0.1:{lab.backend.port}" in proc.stdout
    assert "valid" in proc.stdout.splitlines()[0]


def test_watch_prints_json_lines_and_finds_nothing_on_a_healthy_lab(lab: Lab) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "darc_tui",
            "check",
            "-c",
            str(lab.write_config()),
            "--json",
            "--watch",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, docs[-1]["causes"] if docs else proc.stderr
    assert docs and all(d["verdict"] == "ok" and d["causes"] == [] for d in docs)


def test_watch_reports_the_fault_as_it_happens(lab: Lab) -> None:
    """The backend goes down while `check --watch` runs: a later line names backend.down."""
    cmd = [sys.executable, "-m", "darc_tui", "check", "-c", str(lab.write_config())]
    proc = subprocess.Popen(
        [*cmd, "--json", "--watch", "20"], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert proc.stdout is not None
    try:
        first = json.loads(proc.stdout.readline())
        assert first["verdict"] == "ok"
        lab.backend.down()
        for line in proc.stdout:
            doc = json.loads(line)
            if doc["causes"] and doc["causes"][0]["id"] == "backend.down":
                assert str(lab.backend.port) in doc["causes"][0]["summary"]
                break
        else:
            raise AssertionError("the watch ended without naming the fault")
    finally:
        proc.kill()
        proc.wait()


async def test_watch_prints_a_flapping_probe_at_most_once_per_round() -> None:
    """One fault fails many probes one after another: --watch prints the settled state once
    per round (probes.interval, at least 1 s), not a full report for every probe that moved."""
    from io import StringIO

    from darc_tui.check import run_check
    from darc_tui.config import Config
    from darc_tui.engine.core import Engine
    from darc_tui.model import Status
    from tests.test_engine import CountingProbe

    flapping = CountingProbe("a", [Status.OK, Status.FAIL] * 10_000)  # a new status every 10 ms
    out = StringIO()
    engine = Engine(Config(), {}, [flapping])
    await run_check(Config(), as_json=True, watch=2.0, out=out, engine=engine)
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert flapping.calls > 20  # it did flap many times while watched
    # the first report, then at most one per second (how many of those a loaded machine fits
    # into 2 s is timing; the bound that matters is the upper one: no report per probe change)
    assert 1 <= len(docs) <= 3
