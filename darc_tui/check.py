"""`darc-tui check`: run the probes headless, print the diagnosis as text or JSON."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from darc_tui.config import Config
from darc_tui.engine import build_engine
from darc_tui.engine.core import Engine
from darc_tui.model import Evidence, Snapshot, Status
from darc_tui.redact import redact_snapshot

EXIT_OK, EXIT_CAUSES, EXIT_USAGE = 0, 1, 2
MIN_SETTLE = 1.0  # seconds: --watch prints at most this often (or once per probe round)
_GLYPH = {
    Status.OK: "✓ ok",
    Status.WARN: "! warn",
    Status.FAIL: "✗ FAIL",
    Status.ERROR: "✗ ERROR",
    Status.UNKNOWN: "? unknown",
}


def to_json(snap: Snapshot, redact: bool = True) -> dict[str, object]:
    # values are masked before serialisation: masking JSON text broke it (`/token=a"b`)
    if redact:
        snap = redact_snapshot(snap)
    return {
        "verdict": snap.verdict.value,
        "causes": [f.to_json() for f in snap.findings],
        "probes": [ev.to_json() for ev in _ordered(snap.evidence)],
        "hosts": [host.to_json() for host in snap.hosts],
        "generated_at": datetime.fromtimestamp(snap.taken_at, UTC).isoformat(),
        "rounds": snap.rounds,
    }


def _ordered(evidence: tuple[Evidence, ...]) -> list[Evidence]:
    return sorted(evidence, key=lambda e: (e.probe, e.vantage.value, e.target))


def format_text(snap: Snapshot, config: Config) -> str:
    """The human report: verdict, ranked causes with evidence and next steps, the probe table."""
    if config.ui.redact:  # the values, not the text: a site named "secret" stays readable
        snap = redact_snapshot(snap)
    out: list[str] = []
    n = sum(not f.explained_by for f in snap.findings)  # root causes
    out.append(
        f"darc-tui check — {config.site.name}: {snap.verdict.value.upper()}"
        + (f" ({n} cause{'s' if n != 1 else ''})" if n else " (no cause found)")
    )
    i = 0
    for f in snap.findings:
        out.append("")
        if f.explained_by:  # a consequence, under the cause that explains it
            pad = "      "
            by = ", ".join(f.explained_by)
            out.append(
                f"   ↳ [{f.cause}] {f.title} — explained by {by}, confidence {f.confidence:.0%}"
            )
        else:
            i, pad = i + 1, "   "
            out.append(f"{i}. [{f.cause}] {f.title} — confidence {f.confidence:.0%}")
        out.append(f"{pad}{f.summary}")
        for ref in f.evidence:
            out.append(f"{pad}evidence  {ref.probe} ({ref.vantage.value}): {ref.fact}")
        for line in f.ruled_out:
            out.append(f"{pad}ruled out {line}")
        for step in f.next_steps:
            out.append(f"{pad}next      $ {step}")
    out.append("")
    rows = [("STATUS", "PROBE", "VANTAGE", "TARGET", "MS", "DETAIL")]
    for ev in _ordered(snap.evidence):
        ms = "" if ev.latency_ms is None else f"{ev.latency_ms:.1f}"
        rows.append((_GLYPH[ev.status], ev.probe, ev.vantage.value, ev.target, ms, ev.detail))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])
    return "\n".join(out)


async def run_check(
    config: Config,
    *,
    as_json: bool,
    watch: float | None,
    out: TextIO = sys.stdout,
    engine: Engine | None = None,
    record: str | None = None,
) -> int:
    engine = engine or build_engine(config)
    recorder = None
    if record:
        from darc_tui.recording.writer import open_recorder

        recorder = open_recorder(record, config, "check")
        if recorder is None:
            await engine.stop()
            return EXIT_USAGE
        engine.subscribe(recorder.snapshot)
    try:
        if watch is None:
            snap = await _one_shot(engine, config)
            if recorder is not None:
                recorder.snapshot(snap)
            _emit(snap, config, as_json, out)
            return EXIT_CAUSES if snap.findings else EXIT_OK
        return await _watch(engine, config, watch, as_json, out)
    finally:
        await engine.stop()
        if recorder is not None:
            recorder.close()


async def _one_shot(engine: Engine, config: Config) -> Snapshot:
    # Two rounds one interval apart: counters are judged by their change, which needs two samples.
    await engine.run_round()
    await asyncio.sleep(config.probes.interval)
    return await engine.run_round()


async def _watch(engine: Engine, config: Config, seconds: float, as_json: bool, out: TextIO) -> int:
    """Keep probing for `seconds`; print the report once, then again on every change."""
    seen_cause = False
    last_key: tuple[object, ...] | None = None
    changed = asyncio.Event()
    engine.subscribe(lambda _snap: changed.set())
    deadline = time.monotonic() + seconds
    # One fault fails many probes, one after another within a round: print their settled
    # state at most once per round instead of one full report per probe.
    settle = max(config.probes.interval, MIN_SETTLE)
    await engine.run_round()
    await engine.start(after_round=True)
    last_emit = -math.inf
    while True:
        snap = engine.snapshot()
        key = _change_key(snap)
        if key != last_key:
            last_key, last_emit = key, time.monotonic()
            seen_cause = seen_cause or bool(snap.findings)
            _emit(snap, config, as_json, out, stamp=not as_json)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return EXIT_CAUSES if seen_cause else EXIT_OK
        changed.clear()
        try:
            async with asyncio.timeout(remaining):
                await changed.wait()
        except TimeoutError:
            continue
        quiet = min(last_emit + settle, deadline) - time.monotonic()
        if quiet > 0:
            await asyncio.sleep(quiet)


def _change_key(snap: Snapshot) -> tuple[object, ...]:
    """What counts as a change worth printing: the causes, and each probe's status."""
    # ids, not summaries: a summary carries live numbers ("retry in 4s", "12 × 503")
    causes = tuple((f.cause, f.severity) for f in snap.findings)
    statuses = tuple(
        sorted((e.probe, e.target, e.vantage.value, e.status.value) for e in snap.evidence)
    )
    return (causes, statuses)


def _emit(snap: Snapshot, config: Config, as_json: bool, out: TextIO, stamp: bool = False) -> None:
    if as_json:
        out.write(json.dumps(to_json(snap, config.ui.redact), ensure_ascii=False) + "\n")
    else:
        if stamp:
            when = datetime.fromtimestamp(snap.taken_at).strftime("%H:%M:%S")
            out.write(f"--- {when}\n")
        out.write(format_text(snap, config) + "\n")
    out.flush()


def run_sync(config: Config, **kw: object) -> int:
    fn: Callable[..., object] = run_check
    return asyncio.run(fn(config, **kw))  # type: ignore[arg-type]
