"""Incident reports: Markdown and JSON, with causes, probes and the timeline, secrets masked."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from darc_tui.config import parse_config
from darc_tui.model import (
    Evidence,
    EvidenceRef,
    Finding,
    HostState,
    Snapshot,
    Status,
    TimelineEvent,
    Vantage,
    Verdict,
)
from darc_tui.report import report_json, report_markdown
from tests.lab.lab import Lab

CONFIG = parse_config(
    '[site]\nname = "darc"\n[envoy]\ncluster = "backend_cluster"\n'
    '[backend]\nurl = "http://127.0.0.1:18443"\n'
)
SECRET = "Bearer s3cr3t-t0ken-value"


def snapshot() -> Snapshot:
    down = Evidence(
        "backend.tcp",
        "127.0.0.1:18443",
        Vantage.ENVOY_HOST,
        Status.FAIL,
        "connect 127.0.0.1:18443 from local: refused",
        command="nc -zv 127.0.0.1 18443",
        observed_at=1_795_000_000.0,
    )
    finding = Finding(
        "backend.down",
        "Nothing listens on the backend address",
        0.9,
        "nothing listens on 127.0.0.1:18443",
        (EvidenceRef.of(down),),
        ("network.firewall: refused, not dropped",),
        ("ss -tlnp | grep 18443",),
    )
    leak = Evidence(
        "envoy.listener",
        "x",
        Vantage.THROUGH_ENVOY,
        Status.OK,
        f"request carried Authorization: {SECRET}",
        observed_at=1_795_000_000.0,
    )
    return Snapshot(
        taken_at=1_795_000_001.0,
        evidence=(down, leak),
        findings=(finding,),
        hosts=(HostState("local", "local", True, "connected"),),
        verdict=Verdict.DOWN,
        timeline=(TimelineEvent(1_795_000_000.0, "finding", "cause backend.down: …"),),
    )


def test_markdown_names_cause_evidence_next_steps_and_timeline() -> None:
    text = report_markdown(snapshot(), CONFIG)
    assert "### 1. `backend.down`" in text
    assert "nothing listens on 127.0.0.1:18443" in text
    assert "ss -tlnp | grep 18443" in text
    assert "network.firewall: refused, not dropped" in text
    assert "| fail | `backend.tcp` | envoy-host |" in text
    assert "[finding] cause backend.down" in text


def test_markdown_without_causes_keeps_the_next_heading_on_its_own_line() -> None:
    healthy = dataclasses.replace(snapshot(), findings=(), verdict=Verdict.OK)
    assert "No cause found.\n\n## Probes" in report_markdown(healthy, CONFIG)


def test_exports_mask_secrets_by_default() -> None:
    assert "s3cr3t" not in report_markdown(snapshot(), CONFIG)
    assert "s3cr3t" not in json.dumps(report_json(snapshot(), CONFIG))


def test_json_report_has_the_check_shape_plus_timeline() -> None:
    doc = report_json(snapshot(), CONFIG)
    assert doc["verdict"] == "down"
    assert doc["causes"][0]["id"] == "backend.down"
    assert {p["name"] for p in doc["probes"]} == {"backend.tcp", "envoy.listener"}
    assert doc["timeline"][0]["kind"] == "finding"


@pytest.mark.integration
def test_report_command_writes_a_report_of_the_lab(lab: Lab) -> None:
    lab.backend.down()
    lab.wait_unhealthy()
    out = lab.workdir / "incident.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "darc_tui",
            "report",
            "-c",
            str(lab.write_config()),
            "--duration",
            "1",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    text = out.read_text()
    assert "`backend.down`" in text and str(lab.backend.port) in text
