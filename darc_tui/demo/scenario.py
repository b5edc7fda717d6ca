"""`darc-tui demo --check`: every fault in turn on the lab, judged by the same engine as `check`.

healthy → fault → its expected top cause → (drift: reload → the 503s) → restore → no cause. Each
phase gets a fresh engine, like an engineer running `darc-tui check` at that moment, so counters
moved by the previous phase are not carried over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO

from darc_tui.check import format_text
from darc_tui.config import Config
from darc_tui.demo.faults import AFTER_DRIFT_RELOAD, FAULTS, Fault, Switchboard
from darc_tui.demo.lab import DemoLab
from darc_tui.engine import build_engine
from darc_tui.model import Snapshot

FAULT_WAIT = 25.0  # seconds for a fault's cause to reach the top
CLEAR_WAIT = 40.0  # seconds for every cause to clear (counters are judged over a 30 s window)
# The drifted cluster never turns healthy: do not wait the reload flow's full 30 s to verify it.
RELOAD_VERIFY = 8.0


@dataclass(frozen=True, slots=True)
class Outcome:
    phase: str
    expected: tuple[str, ...]  # () = no cause at all
    got: tuple[str, ...]  # the causes found, ranked
    seconds: float
    note: str = ""

    @property
    def ok(self) -> bool:
        if not self.expected:
            return not self.got
        return bool(self.got) and self.got[0] in self.expected

    def line(self) -> str:
        want = " or ".join(self.expected) or "no cause"
        got = ", ".join(self.got) or "no cause"
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.phase:<34} expected {want:<26} got {got} ({self.seconds:.1f} s)"


def matches(snap: Snapshot, expected: tuple[str, ...]) -> bool:
    causes = [f.cause for f in snap.findings]
    return not causes if not expected else bool(causes) and causes[0] in expected


async def observe(config: Config, expected: tuple[str, ...], timeout: float) -> Snapshot:
    """Probe rounds on a fresh engine until the diagnosis matches `expected` or `timeout` passes;
    the last snapshot either way. Needs two rounds at least: counters are judged by their change."""
    engine = build_engine(config)
    deadline = time.monotonic() + timeout
    try:
        snap = await engine.run_round()
        while True:
            await asyncio.sleep(config.probes.interval)
            snap = await engine.run_round()
            if matches(snap, expected) or time.monotonic() > deadline:
                return snap
    finally:
        await engine.stop()


class Scenario:
    """Runs the phases, prints each `check` report and a summary; `run()` → exit status."""

    def __init__(self, lab: DemoLab, out: TextIO) -> None:
        assert lab.config is not None, "start the lab first"
        self.lab = lab
        self.config: Config = lab.config
        self.switches = Switchboard(lab)
        self.out = out
        self.outcomes: list[Outcome] = []

    async def run(self) -> int:
        try:
            await self.phase("healthy baseline", (), None, CLEAR_WAIT)
            for fault in FAULTS:
                await self.fault(fault)
        finally:
            self.switches.stop()
        return self.summary()

    async def fault(self, fault: Fault) -> None:
        name = f"{fault.key} {fault.label.lower()}"
        await self.phase(name, fault.expect, lambda: self.switches.apply(fault.id), FAULT_WAIT)
        if fault.id == "drift":
            await self.phase(f"{name}, reloaded", AFTER_DRIFT_RELOAD, self.reload, FAULT_WAIT)
        await self.phase(f"{name}: u restore", (), self.switches.restore, CLEAR_WAIT)

    async def phase(
        self,
        name: str,
        expected: tuple[str, ...],
        action: Callable[[], Awaitable[str]] | None,
        timeout: float,
    ) -> Outcome:
        started = time.monotonic()
        want = " or ".join(expected) or "no cause"
        self.write(f"\n{'═' * 100}\n▶ {name} — expect {want}")
        note = ""
        if action is not None:
            note = await action()
            self.write(f"  {note}")
        snap = await observe(self.config, expected, timeout)
        got = tuple(f.cause for f in snap.findings)
        outcome = Outcome(name, expected, got, time.monotonic() - started, note)
        self.outcomes.append(outcome)
        self.write(format_text(snap, self.config))
        self.write(f"→ {outcome.line()}")
        return outcome

    async def reload(self) -> str:
        """darc-tui's own reload flow (validate → apply → verify), as `darc-tui reload --yes`."""
        try:
            from darc_tui.actions.reload import apply_reload, prepare_reload
        except ImportError:
            await asyncio.to_thread(self.lab.reload)
            return "reloaded by the lab (darc-tui's reload flow is not installed)"
        from darc_tui.hosts import build_hosts

        hosts = build_hosts(self.config)
        try:
            plan = await prepare_reload(self.config, hosts)
            result = await apply_reload(
                plan, self.config, hosts, timeout=RELOAD_VERIFY, record=False
            )
        finally:
            for host in hosts.values():
                await host.close()
        return f"darc-tui reload: {result.outcome}: {result.message}"

    def summary(self) -> int:
        lines, status = summarize(self.outcomes)
        self.write(f"\n{'═' * 100}")
        for line in lines:
            self.write(line)
        return status

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def summarize(outcomes: list[Outcome]) -> tuple[list[str], int]:
    """The closing report, and the exit status: 0 when every phase went as expected, else 1."""
    failed = [o for o in outcomes if not o.ok]
    lines = ["demo --check summary", *(f"  {o.line()}" for o in outcomes)]
    lines.append(f"{len(outcomes) - len(failed)}/{len(outcomes)} phases as expected")
    if failed:
        lines.append("mismatches:")
        for o in failed:
            want = " or ".join(o.expected) or "no cause"
            lines.append(f"  {o.phase}: expected {want}, got {', '.join(o.got) or 'no cause'}")
    return lines, 1 if failed else 0
