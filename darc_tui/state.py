"""Latest evidence per (probe, target), bounded history, recent log records, and the timeline."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from darc_tui.ids import ProbeId
from darc_tui.model import (
    DeployMarker,
    Evidence,
    Finding,
    HostState,
    LogRecord,
    Status,
    TimelineEvent,
)

HISTORY = 600  # samples kept per (probe, target): 10 minutes at 1 s
LOG_RECORDS = 5000  # per source
TIMELINE = 1000
DEPLOYS = 100


class State:
    """Mutable store owned by the engine; everything handed out of it is immutable."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._latest: dict[tuple[str, str], Evidence] = {}
        self._history: dict[tuple[str, str], deque[Evidence]] = {}
        self._logs: dict[str, deque[LogRecord]] = {}
        self._hosts: dict[str, HostState] = {}
        self.timeline: deque[TimelineEvent] = deque(maxlen=TIMELINE)
        self.findings: tuple[Finding, ...] = ()
        self.cause_since: dict[str, float] = {}  # when each current cause was first found
        self.deploys: deque[DeployMarker] = deque(maxlen=DEPLOYS)  # oldest first
        self.rounds = 0
        self.version = 0  # bumped on every change, so subscribers can skip no-op updates

    # -- evidence ----------------------------------------------------------------------------
    def add(self, ev: Evidence) -> bool:
        """Store evidence; True when its outcome changed (status changes go on the timeline)."""
        prev = self._latest.get(ev.key)
        self._latest[ev.key] = ev
        self._history.setdefault(ev.key, deque(maxlen=HISTORY)).append(ev)
        self.version += 1
        changed = not ev.same_outcome(prev)
        # the timeline gets status transitions only: many details carry a measurement
        # ("→ 200 in 3 ms") that changes every round and would bury the transitions
        moved = (
            ev.status is not prev.status if prev else ev.status not in (Status.OK, Status.UNKNOWN)
        )
        if changed and moved:
            was = prev.status.value if prev else "none"
            self.timeline.append(
                TimelineEvent(
                    ev.observed_at,
                    "probe",
                    f"{ev.probe} {ev.target}: {was} → {ev.status.value}: {ev.detail}",
                )
            )
        return changed

    def latest(self, probe: ProbeId, target: str | None = None) -> Evidence | None:
        if target is not None:
            return self._latest.get((probe, target))
        for (p, _t), ev in self._latest.items():
            if p == probe:
                return ev
        return None

    def all_latest(self, probe: ProbeId | None = None) -> list[Evidence]:
        return [ev for (p, _t), ev in self._latest.items() if probe is None or p == probe]

    def history(self, probe: ProbeId, target: str) -> list[Evidence]:
        return list(self._history.get((probe, target), ()))

    def window(
        self, probe: ProbeId, target: str, seconds: float, now: float | None = None
    ) -> list[Evidence]:
        """Samples observed within the last `seconds` (oldest first)."""
        now = self.clock() if now is None else now
        return [e for e in self._history.get((probe, target), ()) if now - e.observed_at <= seconds]

    def evidence(self) -> Iterator[Evidence]:
        return iter(self._latest.values())

    # -- hosts, logs, findings -------------------------------------------------------------
    def set_host(self, host: HostState) -> None:
        prev = self._hosts.get(host.name)
        if prev is not None and (prev.connected, prev.detail) == (host.connected, host.detail):
            return
        self._hosts[host.name] = host
        self.version += 1
        if prev is None or prev.connected != host.connected or prev.detail != host.detail:
            down = host.detail if host.detail.startswith("down") else f"down: {host.detail}"
            word = "connected" if host.connected else down
            self.timeline.append(TimelineEvent(host.since, "host", f"host {host.name} {word}"))

    def hosts(self) -> tuple[HostState, ...]:
        return tuple(self._hosts.values())

    def add_logs(self, records: Iterable[LogRecord]) -> None:
        for rec in records:
            self._logs.setdefault(rec.source, deque(maxlen=LOG_RECORDS)).append(rec)
        self.version += 1

    def logs(self, source: str) -> list[LogRecord]:
        return list(self._logs.get(source, ()))

    def set_findings(self, findings: Iterable[Finding]) -> None:
        new = tuple(findings)
        old_ids = {f.cause for f in self.findings}
        new_ids = {f.cause for f in new}
        now = self.clock()
        for f in new:
            if f.cause not in old_ids:
                self.cause_since.setdefault(f.cause, now)
                self.timeline.append(TimelineEvent(now, "finding", f"cause {f.cause}: {f.summary}"))
        for cause in sorted(old_ids - new_ids):
            self.cause_since.pop(cause, None)
            self.timeline.append(TimelineEvent(now, "finding", f"cause {cause} cleared"))
        if new != self.findings:
            self.version += 1
        self.findings = new

    def add_deploy(self, marker: DeployMarker) -> None:
        """A deploy marker: kept in time order, and on the timeline."""
        later = [m for m in self.deploys if m.at > marker.at]
        for _ in later:
            self.deploys.pop()
        self.deploys.extend([marker, *later])
        where = f" on {marker.host}" if marker.host else ""
        text = f"deploy{where}: {marker.kind.words}: {marker.detail}"
        self.timeline.append(TimelineEvent(marker.at, "deploy", text))
        self.version += 1

    def note(self, kind: str, text: str) -> None:
        self.timeline.append(TimelineEvent(self.clock(), kind, text))
        self.version += 1
