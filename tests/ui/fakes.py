"""A stand-in engine with the Engine's public shape: it publishes the snapshots a test gives it.

The console is a pure renderer of engine output, so UI tests drive it with recorded Snapshots
(built in tests/ui/scenarios.py from the real model types) instead of a running lab.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from darc_tui.config import Config
from darc_tui.model import LogRecord, Snapshot, Verdict


class FakeState:
    def __init__(self) -> None:
        self.records: dict[str, list[LogRecord]] = {}

    def logs(self, source: str) -> list[LogRecord]:
        return list(self.records.get(source, ()))


class FakeEngine:
    def __init__(self, config: Config, snapshot: Snapshot | None = None) -> None:
        self.config = config
        self.state = FakeState()
        self._snapshot = snapshot or Snapshot(0.0, (), (), (), Verdict.OK)
        self._subscribers: list[Callable[[Snapshot], None]] = []
        self._log_subscribers: list[Callable[[Sequence[LogRecord]], None]] = []
        self.probe_now_calls = 0
        self.started = False
        self.stopped = False

    # -- the Engine interface the console uses -------------------------------------------------
    def subscribe(self, callback: Callable[[Snapshot], None]) -> None:
        self._subscribers.append(callback)

    def subscribe_logs(self, callback: Callable[[Sequence[LogRecord]], None]) -> None:
        self._log_subscribers.append(callback)

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def probe_now(self) -> None:
        self.probe_now_calls += 1

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    # -- test controls --------------------------------------------------------------------------
    def publish(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        for callback in self._subscribers:
            callback(snapshot)

    def publish_logs(self, records: Sequence[LogRecord]) -> None:
        for rec in records:
            self.state.records.setdefault(rec.source, []).append(rec)
        for callback in self._log_subscribers:
            callback(records)
