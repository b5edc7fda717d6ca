"""Pane 5: the access log, error log and journal — follow, pause, `/` filter, a rate line."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice

from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, TabPane

from darc_tui.ids import ProbeId, log_probe
from darc_tui.model import LogRecord, Snapshot, Status
from darc_tui.ui.panes.base import Pane
from darc_tui.ui.panes.log_view import BAD, LogView, display_line, marker
from darc_tui.ui.repaint import show
from darc_tui.ui.screens.details import DetailView
from darc_tui.ui.status import GLYPH

SOURCES = ("access", "error", "journal")
MAX_LINES = 2000  # per view: Log keeps it fast; the engine keeps its own longer history
STORE = 5000  # per source, for re-filtering
RATE_WINDOW = 60.0  # seconds
ARRIVALS = 100_000  # arrival times kept per source for the rate line
ACCESS_PROBE = ProbeId.ENVOY_ACCESS_LOG


class LogsPane(Pane):
    NUMBER = 5
    TITLE = "Logs"
    DEFAULT_CSS = """
    LogsPane #log-filter { display: none; height: 1; border: none; padding: 0 1; }
    LogsPane.-filtering #log-filter { display: block; }
    LogsPane TabbedContent { height: 1fr; }
    LogsPane Tabs { height: 1; }
    LogsPane Tabs Underline { display: none; }
    LogsPane Tab { padding: 0 1; height: 1; }
    LogsPane Tab.-active { text-style: bold reverse; }
    LogsPane TabPane { padding: 0; }
    LogsPane #log-rate { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.store: dict[str, deque[LogRecord]] = {s: deque(maxlen=STORE) for s in SOURCES}
        self.arrivals: dict[str, deque[tuple[float, bool]]] = {
            s: deque(maxlen=ARRIVALS) for s in SOURCES
        }
        self.bad_arrivals = dict.fromkeys(SOURCES, 0)  # how many of `arrivals` are bad lines
        self.query_text = ""
        self.paused_waiting: int | None = None  # None = live; else records held back by pause

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter (esc clears)", id="log-filter")
        with TabbedContent(id="log-tabs"):
            for source in SOURCES:
                with TabPane(source, id=f"tab-{source}"):
                    yield LogView(source, MAX_LINES, id=f"log-{source}")
        yield Static("", id="log-rate", markup=False)

    # -- views ------------------------------------------------------------------------------
    def view(self, source: str) -> LogView:
        return self.query_one(f"#log-{source}", LogView)

    @property
    def active_view(self) -> LogView:
        active = self.query_one(TabbedContent).active or f"tab-{SOURCES[0]}"
        return self.view(active.removeprefix("tab-"))

    def focus_target(self) -> Widget:
        return self.active_view

    def next_source(self) -> None:
        """Show the next log source's tab (access → error → journal → access) and focus it."""
        following = SOURCES[(SOURCES.index(self.active_view.source) + 1) % len(SOURCES)]
        self.query_one(TabbedContent).active = f"tab-{following}"
        # focus moves straight from view to view: a hidden view that still has the focus blurs
        # it to nothing first, and each focus change restyles the pane and rebuilds the footer
        self.screen.set_focus(self.view(following), scroll_visible=False)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        self.update_rate()

    def on_log_view_picked(self, event: LogView.Picked) -> None:
        event.stop()
        self.update_rate()

    # -- data -------------------------------------------------------------------------------
    def add_records(self, records: Sequence[LogRecord], now: float) -> None:
        by_source: dict[str, list[LogRecord]] = {}
        for rec in records:
            if rec.source in self.store:
                by_source.setdefault(rec.source, []).append(rec)
        for source, recs in by_source.items():
            self.store[source].extend(recs)
            marks = [marker(r) for r in recs]
            self._arrive(source, [(now, m == BAD) for m in marks])
            shown = [(r, m) for r, m in zip(recs, marks, strict=True) if self.matches(r)]
            newest = shown[-MAX_LINES:]  # a view keeps MAX_LINES: older ones need no drawing
            self.view(source).append(
                [r for r, _ in newest], [m for _, m in newest], arrived=len(shown)
            )
        if self.display:  # a hidden pane's status line is drawn when it shows (render_snapshot)
            self.update_rate(now)

    def _arrive(self, source: str, marks: list[tuple[float, bool]]) -> None:
        arrivals = self.arrivals[source]
        marks = marks[-ARRIVALS:]
        over = len(arrivals) + len(marks) - ARRIVALS  # the oldest fall out of the bounded deque
        if over > 0:
            self.bad_arrivals[source] -= sum(bad for _, bad in islice(arrivals, over))
        self.bad_arrivals[source] += sum(bad for _, bad in marks)
        arrivals.extend(marks)

    def matches(self, rec: LogRecord) -> bool:
        return not self.query_text or self.query_text in rec.line.lower()

    def set_filter(self, text: str) -> None:
        self.query_text = text.strip().lower()
        for source in SOURCES:
            self.view(source).replace_all(r for r in self.store[source] if self.matches(r))
        self.update_rate()

    def open_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#log-filter", Input).focus()

    def close_filter(self) -> bool:
        """Clear and hide the filter; False when there was nothing to close."""
        field = self.query_one("#log-filter", Input)
        if not self.has_class("-filtering") and not self.query_text:
            return False
        self.remove_class("-filtering")
        if field.value:
            field.value = ""
        self.set_filter("")
        self.active_view.focus()
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.remove_class("-filtering")
        self.active_view.focus()

    def follow(self) -> None:
        self.active_view.follow()
        self.update_rate()

    def render_snapshot(self, snapshot: Snapshot | None) -> None:
        self.update_rate()

    # -- status line ------------------------------------------------------------------------
    def update_rate(self, now: float | None = None) -> None:
        if not self.is_mounted:
            return
        view = self.active_view
        now = self.darc.clock() if now is None else now
        arrivals = self.arrivals[view.source]
        while arrivals and now - arrivals[0][0] > RATE_WINDOW:
            self.bad_arrivals[view.source] -= arrivals.popleft()[1]
        unset = self._unconfigured(view.source)
        if unset:
            # an empty tab that says "following" would read as "no lines logged"
            text = f"{view.source}: not followed — {unset} is not set in the configuration"
            show(self.query_one("#log-rate", Static), Content(text))
            return
        bad = self.bad_arrivals[view.source]  # counted as they come and go: a flood fills
        # `arrivals`, and summing it on every drawing cost more than the drawing
        parts = [f"{view.source}: {len(arrivals)}/min", f"{BAD} {bad}/min"]
        if self.query_text:
            parts.append(f"filter “{self.query_text}”: {len(view.shown)} shown")
        if self.paused_waiting is not None:
            parts.append(f"⏸ paused, {self.paused_waiting} waiting")
        elif view.unseen:
            parts.append(f"▼ {view.unseen} new — f follows")
        elif view.selected is not None:
            parts.append("line picked — f follows")
        else:
            parts.append("following")
        parts.extend(self._source_problem(view.source))
        if view.source == "access":
            parts.extend(self._access_facts())
        show(self.query_one("#log-rate", Static), Content(" · ".join(parts)))

    def _unconfigured(self, source: str) -> str:
        """The config key that leaves `source` unfollowed ("" when it is set)."""
        key, value = {
            "access": ("envoy.access_log", self.darc.config.envoy.access_log),
            "error": ("envoy.error_log", self.darc.config.envoy.error_log),
            "journal": ("envoy.unit", self.darc.config.envoy.unit),
        }[source]
        return "" if value else key

    def _source_problem(self, source: str) -> Iterable[str]:
        """What the follower reported when it cannot follow (no file, no permission, host down)."""
        ev = self.snapshot.get(log_probe(source)) if self.snapshot else None
        if ev is None or ev.status is Status.OK:
            return []
        return [f"{GLYPH[ev.status]} {ev.detail}"]

    def _access_facts(self) -> Iterable[str]:
        """The engine's window counts for the access log (e.g. 5xx, UF), numbers only."""
        ev = self.snapshot.get(ACCESS_PROBE) if self.snapshot else None
        if ev is None:
            return []
        return [
            f"{k} {v}"
            for k, v in ev.facts.items()
            # window_s is the window's length and zero counts are noise on a one-line status
            if isinstance(v, int | float) and not isinstance(v, bool) and v and k != "window_s"
        ][:6]

    def details(self) -> DetailView | None:
        rec = self.active_view.record_in_view()
        if rec is None:
            return None
        rows: list[tuple[str, str | Content]] = [
            ("source", rec.source),
            ("line", display_line(rec)[2:]),
        ]
        rows.extend((k, _field(k, v)) for k, v in rec.fields.items())
        if rec.size and rec.size > len(rec.line):
            rows.append(("size", f"{rec.size} bytes (cut for display)"))
        return DetailView(f"Log record ({rec.source})", tuple(rows))

    def copy_text(self) -> str | None:
        rec = self.active_view.record_in_view()
        return rec.line if rec else None


def _field(key: str, value: object) -> str:
    if key == "timestamp" and isinstance(value, int | float) and not isinstance(value, bool):
        # the parsers keep epoch seconds; shown in UTC like Envoy's own log stamps
        stamp = datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return f"{stamp}Z"
    return _text(value)


def _text(value: object) -> str:
    if isinstance(value, frozenset | set | list | tuple):
        return ", ".join(sorted(str(v) for v in value)) or "—"
    return "—" if value is None else str(value)
