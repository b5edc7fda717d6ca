"""The engine: schedules probes and log streams on asyncio, feeds state, re-diagnoses, publishes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from darc_tui.config import Config
from darc_tui.deploy.detect import DeployDetector, VersionSource, backend_port
from darc_tui.diagnosis import diagnose, verdict
from darc_tui.engine.cadence import Cadence
from darc_tui.hosts.base import Host
from darc_tui.model import Evidence, LogRecord, Snapshot, Status, Verdict
from darc_tui.probes.base import AnyProbe
from darc_tui.sinks import LogSource
from darc_tui.state import State

log = logging.getLogger(__name__)

Subscriber = Callable[[Snapshot], None]
LogSubscriber = Callable[[Sequence[LogRecord]], None]
PUBLISH_EVERY = 0.2  # seconds: coalesce bursts of probe results into one snapshot
# ... and at most one snapshot per probe interval (capped at 1 s): two dozen probes finishing at
# different moments made five snapshots a second, each redacted and drawn by the console
PUBLISH_AT_MOST = 1.0


class Engine:
    """One engine for the console and for `check`."""

    def __init__(
        self,
        config: Config,
        hosts: dict[str, Host],
        probes: Sequence[AnyProbe],
        sources: Sequence[LogSource] = (),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.hosts = hosts
        self.probes = list(probes)
        self.sources = list(sources)
        self.state = State(clock)
        self.clock = clock
        self.publish_every = min(PUBLISH_AT_MOST, max(PUBLISH_EVERY, config.probes.interval))
        self._subscribers: list[Subscriber] = []
        self._log_subscribers: list[LogSubscriber] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._wakes: list[asyncio.Event] = []  # one per probe loop: ctrl+r runs each once more
        self._dirty = asyncio.Event()
        self._urgent = asyncio.Event()  # a change ended the calm: publish without waiting
        self._published_version = -1
        self._snapshot: Snapshot | None = None
        self._stale = False  # evidence arrived since the last diagnosis
        self.cadence = Cadence(config.probes.interval, config.probes.calm_interval, clock)
        self.deploys = DeployDetector(
            config.envoy.host,
            config.backend.host,
            VersionSource(config.backend.version_header, config.backend.version_field),
            backend_port(config),
        )

    # -- subscription -------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> None:
        self._subscribers.append(callback)

    def subscribe_logs(self, callback: LogSubscriber) -> None:
        """Receive every batch of new log records as it arrives (the console's Logs pane)."""
        self._log_subscribers.append(callback)

    def snapshot(self) -> Snapshot:
        s = self.state
        before = s.version
        for host in self.hosts.values():
            s.set_host(host.state())
        if self._stale or s.version != before:
            self._rediagnose()
        if self._snapshot is not None and self._published_version == s.version:
            return self._snapshot
        findings = s.findings
        snap = Snapshot(
            taken_at=self.clock(),
            evidence=tuple(s.evidence()),
            findings=findings,
            hosts=s.hosts(),
            verdict=verdict(findings),
            timeline=tuple(s.timeline),
            rounds=s.rounds,
            deploys=tuple(s.deploys),
            calm=self.cadence.calm(),
        )
        self._snapshot, self._published_version = snap, s.version
        return snap

    def _publish(self) -> None:
        snap = self.snapshot()
        for cb in list(self._subscribers):
            try:
                cb(snap)
            except Exception:  # a broken subscriber must not stop the engine
                log.exception("subscriber failed")

    # -- feeding state ----------------------------------------------------------------------
    def feed(self, ev: Evidence) -> None:
        self.feed_all([ev])

    def feed_all(self, found: Sequence[Evidence]) -> None:
        """One probe run's evidence. Diagnosis waits for the next snapshot: two dozen probes
        report every round, and one diagnosis per published snapshot is enough."""
        for ev in found:
            self._add(ev)
        self._stale = True
        self._dirty.set()
        if self.cadence.evidence(found):
            self._wake_all()  # the calm is over: everything looks again, now

    def _add(self, ev: Evidence) -> None:
        self.state.add(ev)
        for marker in self.deploys.observe(ev):
            self.state.add_deploy(marker)
            if self.cadence.poke():
                self._wake_all()

    def records(self, records: Sequence[LogRecord]) -> None:
        if records:
            self.state.add_logs(records)
            if self.cadence.logs(records):
                self._wake_all()
            for cb in list(self._log_subscribers):
                try:
                    cb(records)
                except Exception:
                    log.exception("log subscriber failed")

    def evidence(self, ev: Evidence) -> None:
        self.feed(ev)

    def _rediagnose(self) -> None:
        self._stale = False
        for host in self.hosts.values():
            self.state.set_host(host.state())  # rules read connection state too
        try:
            self.state.set_findings(diagnose(self.state, self.config))
        except Exception as exc:  # a rule bug must show up, not kill the engine
            log.exception("diagnosis failed")
            self.state.note("engine", f"diagnosis failed: {type(exc).__name__}: {exc}")
            self.cadence.trouble = True
            return
        findings = self.state.findings
        ids = frozenset(str(f.cause) for f in findings)
        if self.cadence.findings(ids, verdict(findings) is Verdict.OK):
            self._wake_all()

    async def run_probe(self, probe: AnyProbe) -> Evidence:
        """Run one probe with a hard deadline; never raises. (Its first Evidence.)"""
        return (await self.run_probe_all(probe))[0]

    async def run_probe_all(self, probe: AnyProbe) -> list[Evidence]:
        """Run one probe with a hard deadline: every Evidence it made (at least one); never raises."""
        started = time.perf_counter()
        deadline = probe.deadline
        try:
            async with asyncio.timeout(deadline):
                found = await probe.run_all()
        except TimeoutError:
            found = [probe.evidence(Status.ERROR, f"probe gave no answer within {deadline:.1f}s")]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a probe bug is evidence, not a crash
            log.exception("probe %s failed", probe.name)
            found = [probe.evidence(Status.ERROR, f"probe crashed: {type(exc).__name__}: {exc}")]
        if not found:
            found = [probe.evidence(Status.UNKNOWN, "nothing observed")]
        ms = (time.perf_counter() - started) * 1000
        return [
            _with_latency(ev, ms) if ev.latency_ms is None and ev.status is Status.ERROR else ev
            for ev in found
        ]

    # -- headless rounds ----------------------------------------------------------------------
    async def run_round(self) -> Snapshot:
        """Run every probe once, concurrently; feed and return the resulting snapshot."""
        results = await asyncio.gather(*(self.run_probe_all(p) for p in self.probes))
        for found in results:
            for ev in found:
                self._add(ev)
            self.cadence.evidence(found)  # the live loops that follow compare with this round
        self.state.rounds += 1
        self._rediagnose()
        return self.snapshot()

    # -- live mode ----------------------------------------------------------------------------
    async def start(self, *, after_round: bool = False) -> None:
        """Start probe loops, log followers and the publisher; returns at once. `after_round`:
        a round just ran (`check --watch`), so each probe first waits its interval."""
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._publisher(), name="publisher"))
        self._tasks.append(loop.create_task(self._round_counter(), name="rounds"))
        for probe in self.probes:
            self._tasks.append(
                loop.create_task(self._probe_loop(probe, after_round), name=f"probe:{probe.name}")
            )
        for source in self.sources:
            self._tasks.append(
                loop.create_task(self._source_loop(source), name=f"log:{source.name}")
            )

    def probe_now(self) -> None:
        """Run every probe once more, now (the console's ctrl+r): one extra run each, no burst.

        Each loop owns its wake event and clears it before running, so a press while a probe
        runs gives exactly one more run after it, and the loop then waits its interval again."""
        self.cadence.poke()
        self._wake_all()

    def _wake_all(self) -> None:
        self._urgent.set()
        for wake in self._wakes:
            wake.set()

    async def _probe_loop(self, probe: AnyProbe, wait_first: bool = False) -> None:
        wake = asyncio.Event()
        self._wakes.append(wake)
        try:
            while True:
                wake.clear()
                if not wait_first:
                    self.feed_all(await self.run_probe_all(probe))
                wait_first = False
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.cadence.wait(probe.interval, probe.sentinel)):
                        await wake.wait()
        finally:
            self._wakes.remove(wake)

    async def _round_counter(self) -> None:
        interval = self.config.probes.interval
        while True:
            await asyncio.sleep(interval)
            # a "round" = every probe reported at least once since the last count
            self.state.rounds += 1

    async def _source_loop(self, source: LogSource) -> None:
        try:
            await source.follow(self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("log source %s failed", source.name)
            self.state.note("log", f"log source {source.name} stopped: {type(exc).__name__}: {exc}")

    async def _publisher(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            self._urgent.clear()
            self._publish()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.cadence.publish_every(self.publish_every)):
                    await self._urgent.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for host in self.hosts.values():
            with contextlib.suppress(Exception):
                await host.close_http()
            with contextlib.suppress(Exception):
                await host.close()


def _with_latency(ev: Evidence, ms: float) -> Evidence:
    from dataclasses import replace

    return replace(ev, latency_ms=ms)
