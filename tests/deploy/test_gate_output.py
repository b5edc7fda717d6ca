"""The gate's verdict as text and JSON, from a finished run (no lab needed)."""

from __future__ import annotations

import pytest

from darc_tui.config import Config, SiteConfig
from darc_tui.deploy.compare import Comparison, WindowStats
from darc_tui.deploy.gate import GateResult, format_text, to_json
from darc_tui.engine import Engine
from darc_tui.ids import CauseId
from darc_tui.model import DeployKind, DeployMarker, Finding, Snapshot, Verdict

MARKER = DeployMarker(1010.0, "edge", DeployKind.ENVOY_RESTARTED, "pid 1 → 2", began=1009.0)


def result(worse: tuple[str, ...], findings: tuple[Finding, ...] = ()) -> GateResult:
    before = WindowStats(709.0, 1009.0, probe_samples=40, p50_ms=3.0, p95_ms=8.0,
                         hosts_healthy=1, hosts_total=1)  # fmt: skip
    after = WindowStats(1015.0, 1030.0, probe_samples=30, probe_failures=30 if worse else 0,
                        flags={"UF": 30} if worse else {}, hosts_healthy=0 if worse else 1,
                        hosts_total=1)  # fmt: skip
    snap = Snapshot(1030.0, (), findings, (), Verdict.DOWN if findings else Verdict.OK,
                    deploys=(MARKER,))  # fmt: skip
    return GateResult(snap, (Comparison((MARKER,), before, after, worse),), 1000.0, None)


def test_a_regressed_deploy_in_text_names_the_marker_windows_and_what_got_worse() -> None:
    cause = Finding(CauseId.DEPLOY_REGRESSION, "A deploy made things worse", 0.9, "deploy …")
    text = format_text(result(("5xx 0.0% → 100.0%",), (cause,)), Config(site=SiteConfig("lab")))
    lines = text.splitlines()
    assert lines[0] == "darc-tui watch — lab: REGRESSED (1 deploy in 30s, site down)"
    assert "  edge: envoy.restarted: pid 1 → 2" in lines
    assert (
        "  before  5xx 0.0% (0 requests, 40 probes), p50 3 ms p95 8 ms, hosts 1/1 healthy" in lines
    )
    assert "  after   5xx 100.0% (0 requests, 30 probes), hosts 0/1 healthy, flags UF×30" in lines
    assert "  worse   5xx 0.0% → 100.0%" in lines
    assert lines[-1] == "1. [deploy.regression] deploy …"


def test_a_deploy_that_held_is_held_in_json() -> None:
    doc = to_json(result(()))
    assert doc["verdict"] == "held" and doc["causes"] == [] and doc["site"] == "ok"
    (deploy,) = doc["deploys"]
    assert (deploy["kind"], deploy["host"], deploy["t"]) == ("envoy.restarted", "edge", 10.0)
    (comparison,) = doc["comparisons"]
    assert comparison["regressed"] is False and comparison["after"]["rate_5xx"] == 0.0


async def test_the_gate_keeps_every_check_at_its_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deploy's markers come from the slower checks: the gate never lets them go calm."""
    from darc_tui.deploy import gate

    built: list[Config] = []

    def build_engine(config: Config) -> Engine:
        built.append(config)
        return Engine(config, {}, [])

    async def run_gate(*args: object, **kw: object) -> object:
        raise RuntimeError("stop here")

    monkeypatch.setattr(gate, "build_engine", build_engine)
    monkeypatch.setattr(gate, "run_gate", run_gate)
    with pytest.raises(RuntimeError, match="stop here"):
        await gate.watch(Config(), 1.0)
    assert built[0].probes.calm_interval == 0 and Config().probes.calm_interval > 0
    assert not Engine(built[0], {}, []).cadence.enabled
