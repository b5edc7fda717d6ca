"""The engine: rounds, crash-proof probes, re-diagnosis, coalesced publishing, state history."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from darc_tui.config import Config
from darc_tui.engine.core import Engine
from darc_tui.model import Evidence, HostState, LogRecord, Snapshot, Status, Vantage
from darc_tui.probes.base import Probe
from darc_tui.state import State


class CountingProbe(Probe):
    name = "test.counter"
    vantage = Vantage.JUMP

    def __init__(self, target: str, statuses: list[Status]) -> None:
        super().__init__(target, interval=0.01, timeout=0.5)
        self.statuses = statuses
        self.calls = 0

    @property
    def command(self) -> str:
        return f"echo {self.target}"

    async def run(self) -> Evidence:
        status = self.statuses[min(self.calls, len(self.statuses) - 1)]
        self.calls += 1
        return self.evidence(status, f"call {self.calls}: {status.value}")


class CrashingProbe(CountingProbe):
    name = "test.crash"

    async def run(self) -> Evidence:
        raise RuntimeError("boom")


class HangingProbe(CountingProbe):
    name = "test.hang"

    async def run(self) -> Evidence:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


class FanOutProbe(CountingProbe):
    """Like the per-host probes: one Evidence per host found at run time, then a summary."""

    name = "test.fanout"

    async def run_all(self) -> list[Evidence]:
        hosts = [
            dataclasses.replace(self.evidence(Status.FAIL, f"{t} refused"), target=t)
            for t in ("host-a:80", "host-b:80")
        ]
        return [*hosts, await self.run()]


async def test_every_evidence_of_a_fanned_out_probe_is_kept_in_rounds_and_live() -> None:
    engine = Engine(Config(), {}, [FanOutProbe("cluster", [Status.FAIL])])
    snap = await engine.run_round()
    targets = {e.target for e in snap.evidence if e.probe == "test.fanout"}
    assert targets == {"host-a:80", "host-b:80", "cluster"}
    live = Engine(Config(), {}, [FanOutProbe("cluster", [Status.FAIL])])
    await live.start()
    try:
        async with asyncio.timeout(10):
            while len(live.state.all_latest("test.fanout")) < 3:
                await asyncio.sleep(0.01)
    finally:
        await live.stop()
    assert live.state.latest("test.fanout", "host-b:80").detail == "host-b:80 refused"


async def test_round_runs_every_probe_and_keeps_going_when_one_crashes() -> None:
    good = CountingProbe("a", [Status.OK])
    engine = Engine(Config(), {}, [good, CrashingProbe("b", [Status.OK])])
    snap = await engine.run_round()
    assert snap.rounds == 1
    assert snap.get("test.counter").status is Status.OK
    crashed = snap.get("test.crash")
    assert crashed.status is Status.ERROR and "RuntimeError: boom" in crashed.detail
    assert crashed.command == "echo b"


async def test_a_probe_that_never_answers_becomes_error_evidence() -> None:
    hang = HangingProbe("h", [Status.OK])
    hang.timeout = 0.01  # the engine's hard deadline is derived from the probe's timeout
    engine = Engine(Config(), {}, [hang])
    snap = await engine.run_round()
    assert snap.get("test.hang").status is Status.ERROR
    assert "no answer" in snap.get("test.hang").detail


async def test_live_mode_publishes_snapshots_and_transitions_reach_the_timeline() -> None:
    probe = CountingProbe("a", [Status.OK, Status.OK, Status.FAIL])
    engine = Engine(Config(), {}, [probe])
    seen: list[Snapshot] = []
    got_fail = asyncio.Event()

    def on_snapshot(snap: Snapshot) -> None:
        seen.append(snap)
        ev = snap.get("test.counter")
        if ev is not None and ev.status is Status.FAIL:
            got_fail.set()

    engine.subscribe(on_snapshot)
    await engine.start()
    try:
        async with asyncio.timeout(10):
            await got_fail.wait()
    finally:
        await engine.stop()
    assert any("ok → fail" in t.text for t in seen[-1].timeline)
    # coalesced: many probe runs, far fewer snapshots than runs is fine, but at least one each side
    assert seen[0].get("test.counter").status is Status.OK


async def test_log_records_reach_log_subscribers_and_state() -> None:
    engine = Engine(Config(), {}, [])
    batches: list[int] = []
    engine.subscribe_logs(lambda recs: batches.append(len(recs)))
    engine.records([LogRecord("access", "line 1", 1.0), LogRecord("access", "line 2", 2.0)])
    assert batches == [2]
    assert [r.line for r in engine.state.logs("access")] == ["line 1", "line 2"]


def test_state_window_and_history_are_bounded_by_time_and_size() -> None:
    now = [100.0]
    state = State(clock=lambda: now[0])
    for t in range(0, 100, 10):
        state.add(Evidence("p", "t", Vantage.JUMP, Status.OK, f"t={t}", observed_at=float(t)))
    assert [e.detail for e in state.window("p", "t", 25)] == ["t=80", "t=90"]
    assert len(state.history("p", "t")) == 10
    assert state.latest("p").detail == "t=90"


def test_unchanged_outcome_is_not_a_timeline_event() -> None:
    state = State()
    for _ in range(3):
        state.add(Evidence("p", "t", Vantage.JUMP, Status.FAIL, "refused"))
    assert len([t for t in state.timeline if t.kind == "probe"]) == 1


def test_a_measurement_in_the_detail_is_not_a_timeline_event() -> None:
    state = State()
    for ms in (3, 5, 4):
        state.add(Evidence("p", "t", Vantage.JUMP, Status.OK, f"GET / → 200 in {ms} ms"))
    state.add(Evidence("p", "t", Vantage.JUMP, Status.FAIL, "connection refused"))
    state.add(Evidence("p", "t", Vantage.JUMP, Status.FAIL, "connection refused after 2 ms"))
    assert [t.text for t in state.timeline] == ["p t: ok → fail: connection refused"]


def test_a_host_down_detail_is_not_doubled_on_the_timeline() -> None:
    state = State()
    state.set_host(HostState("edge", "ssh", False, "down: connection refused", since=1.0))
    state.set_host(HostState("app", "ssh", False, "connecting", since=1.0))
    assert [t.text for t in state.timeline] == [
        "host edge down: connection refused",
        "host app down: connecting",
    ]


class YieldingProbe(CountingProbe):
    """Gives the loop a turn while it runs, as every probe doing I/O does."""

    async def run(self) -> Evidence:
        await asyncio.sleep(0)
        return await super().run()


async def test_probe_now_runs_each_probe_once_more_not_a_burst() -> None:
    """ctrl+r: one extra run per probe, then each loop waits its interval again.

    (The old shared wake event stayed set until the round counter cleared it, an interval
    later; every loop re-ran back to back meanwhile — hundreds of runs.)"""
    probes = [YieldingProbe(t, [Status.OK]) for t in ("a", "b")]
    for p in probes:
        p.interval = 3600.0  # only probe_now can make a second run
    engine = Engine(Config(), {}, probes)
    await engine.start()
    try:
        async with asyncio.timeout(10):
            while any(p.calls < 1 for p in probes):
                await asyncio.sleep(0.01)
            engine.probe_now()
            while any(p.calls < 2 for p in probes):
                await asyncio.sleep(0.01)
        for _ in range(30):  # let any burst show: many loop turns, no clock involved
            await asyncio.sleep(0.01)
        assert [p.calls for p in probes] == [2, 2]
        engine.probe_now()
        async with asyncio.timeout(10):
            while any(p.calls < 3 for p in probes):
                await asyncio.sleep(0.01)
        for _ in range(30):
            await asyncio.sleep(0.01)
        assert [p.calls for p in probes] == [3, 3]
    finally:
        await engine.stop()


def test_with_log_followers_the_access_log_is_counted_once_not_reread_by_a_probe(
    tmp_path: Path,
) -> None:
    """The console follows the access log and counts its window from every line; the probe that
    re-reads the file's tail (for `check`) would only repeat that evidence, at a cost."""
    from darc_tui.config import parse_config
    from darc_tui.engine import build_engine
    from darc_tui.ids import ProbeId
    from darc_tui.logs.sources import AccessLogSource

    log = tmp_path / "access.log"
    log.write_text("")
    config = parse_config(
        '[envoy]\nadmin_url = "http://127.0.0.1:9"\n'
        f'access_log = "{log}"\n[backend]\nurl = "http://127.0.0.1:9"\n'
    )
    console = build_engine(config, with_logs=True)
    check = build_engine(config, with_logs=False)
    assert any(isinstance(s, AccessLogSource) for s in console.sources)
    assert ProbeId.ENVOY_ACCESS_LOG not in {p.name for p in console.probes}
    assert ProbeId.ENVOY_ACCESS_LOG in {p.name for p in check.probes} and not check.sources
