"""When the site is calm, most probes wait longer; the first sign of change restores the cadence.

A healthy site where nothing changes does not need two dozen checks a second: the console sat at
10 % of a core repeating them (issue 13). "Calm" = no cause found and no check failing (FAIL or ERROR: a failing check
the diagnosis cannot explain is no healthy site), and no probe's status, no
finding and no broken log line (LogRecord.broken) changed for `calm_after` seconds. While calm,
every probe runs at most every `calm_interval` seconds except the sentinels: the site's own URL
as users reach it (through Envoy), checked at the configured interval, and the followed logs,
which stream every real request. A change anywhere — a sentinel's status, a 5xx or error line
in a log, a new finding, a deploy, ctrl+r — ends the calm at once: every probe runs now and then
at its own interval again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from darc_tui.model import Evidence, LogRecord, Status

CALM_AFTER = 3.0  # seconds without any change (three rounds at 1 s) before the cadence relaxes
CALM_PUBLISH = 3.0  # while calm, one snapshot per three publish periods (the screen, the diagnosis)
CALM_STRETCH = 4.0  # a slow check (every 5 s) waits four times its interval while calm


_FAILING = frozenset({Status.FAIL, Status.ERROR})


@dataclass(slots=True)
class Cadence:
    """Tracks changes; says how long each probe waits. `calm_interval` 0 = never calm."""

    interval: float
    calm_interval: float
    clock: Callable[[], float]
    calm_after: float = CALM_AFTER
    last_change: float = 0.0
    trouble: bool = True  # a cause is shown (or nothing is diagnosed yet): never calm
    statuses: dict[tuple[str, str, str], Status] = field(default_factory=dict, repr=False)
    finding_ids: frozenset[str] | None = None
    failing: set[tuple[str, str, str]] = field(default_factory=set, repr=False)  # FAIL / ERROR

    def __post_init__(self) -> None:
        self.last_change = self.clock()

    @property
    def enabled(self) -> bool:
        return self.calm_interval > self.interval

    def calm(self) -> bool:
        return (
            self.enabled
            and not self.trouble
            and not self.failing
            and self.clock() - self.last_change >= self.calm_after
        )

    def wait(self, interval: float, sentinel: bool) -> float:
        """Seconds a probe of this `interval` waits before its next run."""
        if sentinel or not self.calm():
            return interval
        return max(self.calm_interval, interval * CALM_STRETCH)

    def publish_every(self, period: float) -> float:
        """Seconds between snapshots: CALM_PUBLISH × `period` while calm (the sentinel still
        runs at the interval; a change publishes at once)."""
        return period * CALM_PUBLISH if self.calm() else period

    def evidence(self, found: Iterable[Evidence]) -> bool:
        """Note a probe run; True when a status changed (or a check reported for the first time)
        while calm — the caller then wakes every probe."""
        was_calm, changed = self.calm(), False
        for ev in found:
            key = (str(ev.probe), ev.target, str(ev.vantage))
            if self.statuses.get(key) is not ev.status:
                self.statuses[key] = ev.status
                changed = True
                if ev.status in _FAILING:
                    self.failing.add(key)
                else:
                    self.failing.discard(key)
        if changed:
            self.last_change = self.clock()
        return was_calm and changed

    def findings(self, ids: frozenset[str], healthy: bool) -> bool:
        """Note a diagnosis; True when it ended a calm."""
        was_calm = self.calm()
        self.trouble = not healthy
        if ids != self.finding_ids:
            self.finding_ids = ids
            self.last_change = self.clock()
        return was_calm and not self.calm()

    def logs(self, records: Sequence[LogRecord]) -> bool:
        """Note log lines; True when a broken one (LogRecord.broken) ended a calm (only looked at
        while calm)."""
        if self.calm() and any(r.broken for r in records):
            return self._changed()
        return False

    def poke(self) -> bool:
        """Something else changed (a deploy, ctrl+r); True when it ended a calm."""
        return self._changed()

    def _changed(self) -> bool:
        was_calm = self.calm()
        self.last_change = self.clock()
        return was_calm
