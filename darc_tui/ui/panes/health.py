"""Pane 2: the backend's health from three vantage points, with latency history as sparklines."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Sparkline, Static

from darc_tui.deploy.compare import deploys
from darc_tui.ids import ProbeId
from darc_tui.model import Evidence, Snapshot, Status, Vantage
from darc_tui.ui.panes.base import Pane
from darc_tui.ui.repaint import show
from darc_tui.ui.screens.details import DetailView
from darc_tui.ui.status import WAITING, duration, millis, status_content

HEALTH_PROBE = ProbeId.BACKEND_HEALTH
VANTAGES = (
    (Vantage.JUMP, "jump box"),
    (Vantage.ENVOY_HOST, "envoy host"),
    (Vantage.THROUGH_ENVOY, "via envoy"),
)
EXTRA_PROBES = (
    ProbeId.ENVOY_LISTENER,
    ProbeId.BACKEND_TCP,
    ProbeId.CORS_PREFLIGHT,
    ProbeId.HOST_LOAD,
)
HISTORY_SECONDS = 300.0  # sparkline window
HISTORY_SAMPLES = 600


class LatencyHistory:
    """(observed_at, ms) samples of one vantage point, trimmed by time; new evidence only."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=HISTORY_SAMPLES)
        self.last_seen = float("-inf")

    def add(self, ev: Evidence, now: float) -> bool:
        """Record `ev` if it is newer than the last sample; True when the history changed."""
        if ev.observed_at <= self.last_seen:
            return False
        self.last_seen = ev.observed_at
        ms = _total_ms(ev)
        if ms is not None:
            self.samples.append((ev.observed_at, ms))
        while self.samples and now - self.samples[0][0] > HISTORY_SECONDS:
            self.samples.popleft()
        return True

    def values(self) -> list[float]:
        return [ms for _, ms in self.samples]


class HealthPane(Pane, can_focus=True):
    NUMBER = 2
    TITLE = "Health"
    DEFAULT_CSS = """
    HealthPane Horizontal { height: 1; }
    HealthPane .vantage { width: 11; color: $text-muted; }
    HealthPane Sparkline { width: 1fr; min-width: 6; margin-right: 1; }
    HealthPane .reading { width: 22; text-wrap: nowrap; text-overflow: ellipsis; }
    HealthPane #health-extra { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.base_title = f"{self.NUMBER} {self.TITLE} · connect/ttfb"
        self.border_title = self.base_title
        self.histories = {vantage: LatencyHistory() for vantage, _ in VANTAGES}

    def compose(self) -> ComposeResult:
        for vantage, label in VANTAGES:
            with Horizontal():
                yield Static(label, classes="vantage", markup=False)
                yield Sparkline([], id=f"spark-{vantage.name.lower()}")
                yield Static(WAITING, id=f"reading-{vantage.name.lower()}", classes="reading")
        yield Static("", id="health-extra")

    def show_snapshot(self, snapshot: Snapshot | None) -> None:
        # history is kept even while hidden, so the sparkline has no hole when the pane is shown
        if snapshot is not None:
            now = self.darc.clock()
            for ev in self.evidence_in(snapshot):
                self.histories[ev.vantage].add(ev, now)
        super().show_snapshot(snapshot)

    def evidence_in(self, snapshot: Snapshot) -> list[Evidence]:
        known = {vantage for vantage, _ in VANTAGES}
        return [ev for ev in snapshot.evidence if ev.probe == HEALTH_PROBE and ev.vantage in known]

    def render_snapshot(self, snapshot: Snapshot | None) -> None:
        by_vantage = {ev.vantage: ev for ev in self.evidence_in(snapshot)} if snapshot else {}
        for vantage, _ in VANTAGES:
            name = vantage.name.lower()
            self.query_one(f"#spark-{name}", Sparkline).data = self.histories[vantage].values()
            ev = by_vantage.get(vantage)
            reading = self.query_one(f"#reading-{name}", Static)
            if ev is None:
                show(reading, status_content(Status.UNKNOWN, "waiting" if self.waiting else None))
            else:
                show(reading, _reading(ev))
        show(self.query_one("#health-extra", Static), self._extra())
        title = self.base_title + self._deploy_mark(snapshot)
        if title != self.border_title:  # setting it repaints the whole pane, even unchanged
            self.border_title = title

    def _deploy_mark(self, snapshot: Snapshot | None) -> str:
        """ " ▲ deploy 1m20s ago": a deploy inside the sparklines' window (their left edge is
        HISTORY_SECONDS ago), so a step in the lines can be read against it."""
        if snapshot is None or not snapshot.deploys:
            return ""
        age = self.darc.clock() - deploys(snapshot.deploys)[-1][0].at
        return f" ▲ deploy {duration(max(0.0, age))} ago" if age <= HISTORY_SECONDS else ""

    def _extra(self) -> Content:
        parts = []
        found = sorted(self.evidence(*EXTRA_PROBES), key=lambda ev: ev.status is Status.OK)
        names = [ev.probe.split(".", 1)[1] for ev in found]
        for ev, name in zip(found, names, strict=True):  # failing first: the line gets cut
            if names.count(name) > 1:  # e.g. host.load on the Envoy host and the backend host
                name = f"{name}@{ev.target}"
            code = ev.facts.get("status")
            if isinstance(code, int) and ev.status is not Status.ERROR:
                part = Content(f"{name} ") + status_content(ev.status, str(code))
            else:
                part = Content(f"{name} ") + status_content(ev.status)
                if ev.status is not Status.OK:
                    part += Content(f" {_cut(str(ev.facts.get('error') or ev.detail), 32)}")
            parts.append(part)
        return Content("  ").join(parts)

    def details(self) -> DetailView | None:
        found = self.evidence(HEALTH_PROBE, *EXTRA_PROBES)  # includes a backend-host vantage
        if not found:
            return None
        rows: list[tuple[str, str | Content]] = []
        for ev in found:
            rows.append(
                (
                    f"{ev.probe} ({ev.vantage.value})",
                    status_content(ev.status) + Content(f"  {ev.detail}"),
                )
            )
            rows.extend((f"  {k}", str(v)) for k, v in ev.facts.items())
            if ev.command:
                rows.append(("  command", ev.command))
        return DetailView("Backend health", tuple(rows), command=found[0].command)

    def copy_text(self) -> str | None:
        found = self.evidence(HEALTH_PROBE)
        failing = [ev for ev in found if ev.status is not Status.OK]
        picks = failing or found
        return picks[0].command if picks else None


def _total_ms(ev: Evidence) -> float | None:
    value = ev.facts.get("total_ms", ev.latency_ms)
    return float(value) if isinstance(value, int | float) else None


def _reading(ev: Evidence) -> Content:
    """`✓ 200 3ms/12ms` (connect/TTFB) or `✗ FAIL refused`."""
    code = ev.facts.get("status")
    if ev.status is Status.OK or (code and ev.status is not Status.ERROR):
        connect, ttfb = _ms(ev.facts.get("connect_ms")), _ms(ev.facts.get("ttfb_ms"))
        timing = (
            f" {millis(connect)}/{millis(ttfb)}"
            if connect is not None or ttfb is not None
            else f" {millis(_total_ms(ev))}"
        )
        return status_content(ev.status, str(code) if code else None) + Content(timing)
    error = ev.facts.get("error")
    return status_content(ev.status) + Content(f" {_cut(str(error) if error else ev.detail)}")


def _cut(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _ms(fact: object) -> float | None:
    """A milliseconds fact as a number (None when absent or not a number)."""
    return float(fact) if isinstance(fact, int | float) and not isinstance(fact, bool) else None
