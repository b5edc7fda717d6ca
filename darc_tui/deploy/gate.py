"""The deploy gate behind `darc-tui watch`: probe for a while, then one verdict (text or JSON).

The engine keeps running through an Envoy restart (probes that cannot reach it report ERROR
evidence, they do not stop); the verdict is taken at the end: "held" when no deploy made things
worse and no cause is left, "regressed" otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from darc_tui.config import Config
from darc_tui.deploy.compare import Comparison, compare_all
from darc_tui.engine import Engine, build_engine
from darc_tui.ids import CauseId
from darc_tui.model import Finding, Snapshot
from darc_tui.redact import redact_json, redact_text

EXIT_HELD, EXIT_REGRESSED, EXIT_USAGE = 0, 1, 2
REGRESSION = CauseId.DEPLOY_REGRESSION


@dataclass(frozen=True, slots=True)
class GateResult:
    snapshot: Snapshot
    comparisons: tuple[Comparison, ...]
    started_at: float
    regression_found_at: float | None  # when deploy.regression was first found, if ever

    @property
    def regressed(self) -> bool:
        return any(c.regressed for c in self.comparisons) or bool(self.snapshot.findings)

    @property
    def verdict(self) -> str:
        return "regressed" if self.regressed else "held"


async def watch(
    config: Config,
    seconds: float,
    *,
    as_json: bool = False,
    record: str | None = None,
    out: TextIO = sys.stdout,
    engine: Engine | None = None,
    live: list[tuple[float, list[str]]] | None = None,
) -> int:
    """Run the gate; `live` (tests) collects (seconds from start, cause ids) per change.

    No calm cadence here: a gate watches for a deploy, and its markers (a new process, epoch or
    config) come from the slower checks, which must keep their own interval."""
    if engine is None:
        probes = dataclasses.replace(config.probes, calm_interval=0.0)
        config = dataclasses.replace(config, probes=probes)
    monitor = engine or build_engine(config)
    recorder = None
    if record:
        from darc_tui.recording.writer import open_recorder

        recorder = open_recorder(record, config, "watch")
        if recorder is None:
            await monitor.stop()
            return EXIT_USAGE
    try:
        result = await run_gate(monitor, config, seconds, recorder=recorder, live=live)
    finally:
        await monitor.stop()
        if recorder is not None:
            recorder.close()
    redact = config.ui.redact
    if as_json:  # values masked before serialisation: masking JSON text can break it
        doc = to_json(result)
        text = json.dumps(redact_json(doc) if redact else doc, ensure_ascii=False)
    else:
        text = format_text(result, config)
        text = redact_text(text) if redact else text
    out.write(text + "\n")
    out.flush()
    return EXIT_REGRESSED if result.regressed else EXIT_HELD


async def run_gate(
    monitor: Engine,
    config: Config,
    seconds: float,
    *,
    recorder: Any = None,
    live: list[tuple[float, list[str]]] | None = None,
) -> GateResult:
    started = time.time()
    first_regression: list[float] = []
    start: list[float] = []

    def seen(snap: Snapshot) -> None:
        if live is not None:
            start[:] = start or [snap.taken_at]
            ids = [str(f.cause) for f in snap.findings]
            if not live or live[-1][1] != ids:
                live.append((snap.taken_at - start[0], ids))
        if not first_regression and any(f.cause == REGRESSION for f in snap.findings):
            first_regression.append(snap.taken_at)
        if recorder is not None:
            recorder.snapshot(snap)

    monitor.subscribe(seen)
    deadline = time.monotonic() + seconds
    seen(await monitor.run_round())
    await monitor.start()
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    snap = monitor.snapshot()
    seen(snap)
    comparisons = tuple(compare_all(monitor.state, config.deploy, snap.taken_at))
    return GateResult(snap, comparisons, started, first_regression[0] if first_regression else None)


def to_json(result: GateResult) -> dict[str, Any]:
    snap = result.snapshot
    doc: dict[str, Any] = {
        "verdict": result.verdict,
        "deploys": [
            {
                **m.to_json(),
                "at": _iso(m.at),
                "began": None if m.began is None else _iso(m.began),
                "t": round(m.at - result.started_at, 2),
            }
            for m in snap.deploys
        ],
        "comparisons": [
            {**c.to_json(), "deploy_at": _iso(c.at), "t": round(c.at - result.started_at, 2)}
            for c in result.comparisons
        ],
        "causes": [f.to_json() for f in snap.findings],
        "site": snap.verdict.value,
        "watched_s": round(snap.taken_at - result.started_at, 1),
        "generated_at": _iso(snap.taken_at),
    }
    if result.regression_found_at is not None:
        doc["regression_found_at"] = _iso(result.regression_found_at)
        regressed = [c for c in result.comparisons if c.at <= result.regression_found_at]
        if regressed:
            doc["regression_found_after_s"] = round(
                result.regression_found_at - regressed[-1].at, 2
            )
    return doc


def format_text(result: GateResult, config: Config) -> str:
    snap = result.snapshot
    deploys = len(result.comparisons)
    head = f"darc-tui watch — {config.site.name}: {result.verdict.upper()}"
    head += f" ({deploys} deploy{'s' if deploys != 1 else ''} in {snap.taken_at - result.started_at:.0f}s"
    out = [head + f", site {snap.verdict.value})"]
    for c in result.comparisons:
        out.append("")
        out.append(
            f"deploy {_clock(c.at)}: {c.describe()}" + ("  REGRESSED" if c.regressed else "")
        )
        for m in c.markers:
            out.append(f"  {m.host}: {m.kind.value}: {m.detail}")
        out.append(f"  before  {_window(c.before.to_json())}")
        out.append(f"  after   {_window(c.after.to_json())}")
        for w in c.worse:
            out.append(f"  worse   {w}")
    if snap.findings:
        out.append("")
        out.extend(_cause(i, f) for i, f in enumerate(snap.findings, 1))
    return "\n".join(out)


def _cause(i: int, f: Finding) -> str:
    return f"{i}. [{f.cause}] {f.summary}"


def _window(w: dict[str, Any]) -> str:
    rate = "no data" if w["rate_5xx"] is None else f"{w['rate_5xx']:.1%}"
    parts = [f"5xx {rate} ({w['requests']} requests, {w['probe_requests']} probes)"]
    if w["p50_ms"] is not None:
        parts.append(f"p50 {w['p50_ms']:.0f} ms p95 {w['p95_ms']:.0f} ms")
    if w["hosts_total"] is not None:
        parts.append(f"hosts {w['hosts_healthy']}/{w['hosts_total']} healthy")
    if w["flags"]:
        parts.append("flags " + ", ".join(f"{k}×{v}" for k, v in w["flags"].items()))
    return ", ".join(parts)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))
