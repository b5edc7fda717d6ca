"""A calm site is probed less; the first sign of change restores the cadence (engine/cadence.py)."""

from __future__ import annotations

import asyncio
import dataclasses

from darc_tui.config import Config, ProbesConfig
from darc_tui.engine.cadence import CALM_AFTER, Cadence
from darc_tui.engine.core import Engine
from darc_tui.model import Evidence, LogRecord, Status, Vantage
from darc_tui.probes.base import Probe


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ev(status: Status, target: str = "a") -> Evidence:
    return Evidence("backend.health", target, Vantage.JUMP, status, status.value)


def calm_cadence(clock: Clock, calm_interval: float = 5.0) -> Cadence:
    cadence = Cadence(1.0, calm_interval, clock)
    cadence.evidence([ev(Status.OK)])
    cadence.findings(frozenset(), healthy=True)
    clock.now += CALM_AFTER
    return cadence


def test_a_healthy_unchanged_site_turns_calm_and_only_sentinels_keep_the_interval() -> None:
    clock = Clock()
    cadence = Cadence(1.0, 5.0, clock)
    assert not cadence.calm()  # nothing diagnosed yet
    cadence.evidence([ev(Status.OK)])
    cadence.findings(frozenset(), healthy=True)
    clock.now += CALM_AFTER - 0.1
    assert not cadence.calm() and cadence.wait(1.0, sentinel=False) == 1.0
    assert not cadence.evidence([ev(Status.OK)])  # the same status again is no change
    clock.now += 0.1
    assert cadence.calm()
    assert cadence.wait(1.0, sentinel=False) == 5.0
    assert cadence.wait(1.0, sentinel=True) == 1.0
    assert cadence.wait(5.0, sentinel=False) == 20.0  # slow checks stretch too
    assert cadence.publish_every(1.0) == 3.0
    cadence.poke()
    assert cadence.publish_every(1.0) == 1.0


def test_a_failing_check_no_cause_explains_keeps_every_check_at_its_interval() -> None:
    """A 5xx flood no rule matches: the access window fails, no finding. Not a healthy site."""
    clock = Clock()
    cadence = Cadence(1.0, 5.0, clock)
    cadence.evidence([ev(Status.OK), ev(Status.FAIL, target="window")])
    cadence.findings(frozenset(), healthy=True)
    clock.now += CALM_AFTER * 10
    assert not cadence.calm() and cadence.wait(1.0, sentinel=False) == 1.0
    cadence.evidence([ev(Status.ERROR, target="window")])
    clock.now += CALM_AFTER * 10
    assert not cadence.calm()
    cadence.evidence([ev(Status.OK, target="window")])
    clock.now += CALM_AFTER
    assert cadence.calm()


def test_a_status_change_a_new_finding_or_a_5xx_line_ends_the_calm() -> None:
    clock = Clock()
    cadence = calm_cadence(clock)
    assert cadence.evidence([ev(Status.FAIL)]) and not cadence.calm()
    cadence = calm_cadence(clock)
    assert cadence.evidence([ev(Status.OK, target="new")])  # a check seen for the first time
    cadence = calm_cadence(clock)
    assert cadence.findings(frozenset({"backend.down"}), healthy=False) and not cadence.calm()
    cadence = calm_cadence(clock)
    ok = LogRecord("access", "GET / 200", clock.now, {"status": 200})
    not_found = LogRecord("access", "GET /x 404", clock.now, {"status": 404})
    assert not cadence.logs([ok, not_found]) and cadence.calm()  # everyday traffic
    bad = LogRecord("access", "GET / 503", clock.now, {"status": 503, "flags": "UH"})
    assert cadence.logs([ok, bad]) and not cadence.calm()
    cadence = calm_cadence(clock)
    assert cadence.poke() and not cadence.calm()


def test_no_calm_while_a_cause_is_shown_or_when_switched_off() -> None:
    clock = Clock()
    cadence = calm_cadence(clock)
    cadence.findings(frozenset({"cors.origin_not_allowed"}), healthy=False)
    clock.now += 10 * CALM_AFTER
    assert not cadence.calm() and cadence.wait(1.0, sentinel=False) == 1.0
    off = calm_cadence(clock, calm_interval=0.0)
    assert not off.enabled and not off.calm()


def test_broken_log_lines() -> None:
    def rec(**fields: object) -> LogRecord:
        return LogRecord("error", "x", 0.0, dict(fields))

    assert rec(status=500).broken and rec(level="ERROR").broken and rec(priority=3).broken
    assert not rec(status=499).broken and not rec(level="warning").broken
    assert not rec(priority=4).broken and not rec().broken


class Flipping(Probe):
    """OK until told otherwise; counts its runs."""

    name = "test.flip"
    vantage = Vantage.JUMP

    def __init__(self, target: str, *, sentinel: bool = False) -> None:
        super().__init__(target, interval=0.01, timeout=0.5)
        self.sentinel = sentinel
        self.status = Status.OK
        self.calls = 0

    @property
    def command(self) -> str:
        return "true"

    async def run(self) -> Evidence:
        await asyncio.sleep(0)
        self.calls += 1
        return self.evidence(self.status, self.status.value)


async def until(condition: object, what: str) -> None:
    async with asyncio.timeout(10):  # a bound, not a measurement
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_while_calm_only_the_sentinel_runs_and_a_change_wakes_every_probe() -> None:
    clock = Clock()
    config = dataclasses.replace(Config(), probes=ProbesConfig(interval=0.01, calm_interval=3600))
    sentinel, other = Flipping("site", sentinel=True), Flipping("backend")
    engine = Engine(config, {}, [sentinel, other], clock=clock)
    await engine.start()
    try:
        await until(lambda: other.calls >= 3 and engine.cadence.finding_ids is not None, "runs")
        clock.now += CALM_AFTER  # nothing changed for the calm period
        await until(lambda: engine.cadence.calm(), "calm")
        await until(lambda: sentinel.calls >= 1, "the sentinel")
        before = other.calls
        seen = sentinel.calls
        await until(lambda: sentinel.calls >= seen + 20, "the sentinel to keep running")
        assert other.calls <= before + 1  # at most the run already under way when calm began
        sentinel.status = Status.FAIL  # the site breaks: the sentinel sees it first
        await until(lambda: other.calls > before + 1, "every probe to look again")
        assert not engine.cadence.calm()
    finally:
        await engine.stop()


async def test_the_first_live_runs_after_a_round_are_no_change() -> None:
    """`check --watch` runs a round, then the live loops: their first runs repeat what the
    round saw and must not end (or delay) the calm."""
    clock = Clock()
    config = dataclasses.replace(Config(), probes=ProbesConfig(interval=0.01, calm_interval=3600))
    probes = [Flipping("site", sentinel=True), Flipping("backend")]
    engine = Engine(config, {}, probes, clock=clock)
    await engine.run_round()
    clock.now += CALM_AFTER
    assert engine.cadence.calm()
    await engine.start(after_round=True)
    try:
        await until(lambda: probes[0].calls >= 5, "the sentinel's live runs")
        assert engine.cadence.calm()
    finally:
        await engine.stop()
