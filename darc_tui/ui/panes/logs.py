"""Pane 5: the access log, error log and journal — follow, pause, `/` filter, a rate line."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Static, Tab, Tabs

from darc_tui.ids import ProbeId, log_probe
from darc_tui.model import LogRecord, Snapshot, Status
from darc_tui.ui.panes.base import Pane
from darc_tui.ui.panes.log_feed import BAD, GAP, LogFeed, display_line, marker
from darc_tui.ui.panes.log_view import LogView
from darc_tui.ui.repaint import show
from darc_tui.ui.screens.details import DetailView
from darc_tui.ui.status import GLYPH

SOURCES = ("access", "error", "journal")
MAX_LINES = 2000  # per source on screen; the engine keeps its own longer history
STORE = 5000  # per source, for re-filtering
RATE_WINDOW = 60.0  # seconds
ACCESS_PROBE = ProbeId.ENVOY_ACCESS_LOG


class LogsPane(Pane):
    NUMBER = 5
    TITLE = "Logs"
    DEFAULT_CSS = """
    LogsPane #log-filter { display: none; height: 1; border: none; padding: 0 1; }
    LogsPane.-filtering #log-filter { display: block; }
    LogsPane LogView { height: 1fr; }
    LogsPane Tabs { height: 1; }
    LogsPane Tabs Underline { display: none; }
    LogsPane Tab { padding: 0 1; height: 1; }
    LogsPane Tab.-active { text-style: bold reverse; }
    LogsPane #log-rate { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.store: dict[str, deque[LogRecord]] = {s: deque(maxlen=STORE) for s in SOURCES}
        self.feeds = {s: LogFeed(s, MAX_LINES) for s in SOURCES}
        # per source, one (time, lines, bad lines) per batch that came in the last RATE_WINDOW,
        # and the sums of those (a flood brings thousands of lines per batch, not per line)
        self.arrivals: dict[str, deque[tuple[float, int, int]]] = {s: deque() for s in SOURCES}
        self.arrived = dict.fromkeys(SOURCES, 0)
        self.bad_arrivals = dict.fromkeys(SOURCES, 0)
        self.query_text = ""
        self.paused_waiting: int | None = None  # None = live; else records held back by pause
        self.log_view = LogView(self.feeds[SOURCES[0]], id="log-view")

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter (esc clears)", id="log-filter")
        # one view for the three sources: a tab switch swaps the feed it draws, so no widget is
        # shown or hidden (a layout of the whole screen) and the focus stays where it is
        yield Tabs(*(Tab(source, id=f"tab-{source}") for source in SOURCES), id="log-tabs")
        yield self.log_view
        yield Static("", id="log-rate", markup=False)

    # -- views ------------------------------------------------------------------------------
    def feed(self, source: str) -> LogFeed:
        return self.feeds[source]

    @property
    def active_view(self) -> LogView:
        return self.log_view

    def focus_target(self) -> Widget:
        return self.log_view

    def next_source(self) -> None:
        """Show the next log source (access → error → journal → access) and focus the view."""
        following = SOURCES[(SOURCES.index(self.log_view.source) + 1) % len(SOURCES)]
        self.query_one(Tabs).active = f"tab-{following}"
        self.log_view.show_feed(self.feeds[following])
        if self.screen.focused is not self.log_view:
            self.screen.set_focus(self.log_view, scroll_visible=False)
        self.update_rate()

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        source = (event.tab.id or "").removeprefix("tab-")
        if source in self.feeds and source != self.log_view.source:  # a click on a tab
            self.log_view.show_feed(self.feeds[source])
            self.update_rate()

    def on_log_view_picked(self, event: LogView.Picked) -> None:
        event.stop()
        self.update_rate()

    # -- data -------------------------------------------------------------------------------
    def add_records(self, records: Sequence[LogRecord], now: float) -> None:
        for source, recs in _by_source(records).items():
            if source not in self.feeds:
                continue
            marks = [marker(r) for r in recs]  # once: the ✗ count and the drawing read them
            self.store[source].extend(recs)
            self._arrive(source, now, recs, marks)
            if self.query_text:
                kept = [(r, m) for r, m in zip(recs, marks, strict=True) if self.matches(r)]
                recs, marks = [r for r, _ in kept], [m for _, m in kept]
            # a feed keeps MAX_LINES: older ones need no drawing
            newest, newest_marks = recs[-MAX_LINES:], marks[-MAX_LINES:]
            if source == self.log_view.source:
                self.log_view.append(newest, newest_marks, arrived=len(recs))
            else:
                feed = self.feeds[source]
                following = feed.selected is None and feed.at_end
                feed.add(newest, newest_marks, arrived=len(recs), following=following)
        if self.display:  # a hidden pane's status line is drawn when it shows (render_snapshot)
            self.update_rate(now)

    def _arrive(self, source: str, now: float, recs: list[LogRecord], marks: list[str]) -> None:
        count, bad = len(recs), marks.count(BAD)  # the lines marked ✗
        if GAP in marks:  # a marker is no line; a flood's says how many lines it stands for
            for rec in (r for r in recs if r.gap):
                shown, broken = rec.fields.get("not_shown"), rec.fields.get("not_shown_broken")
                count += (shown if isinstance(shown, int) else 0) - 1
                bad += broken if isinstance(broken, int) else 0
        self.arrivals[source].append((now, count, bad))
        self.arrived[source] += count
        self.bad_arrivals[source] += bad
        self._forget(source, now)

    def _forget(self, source: str, now: float) -> None:
        """Drop the batches that came more than RATE_WINDOW before `now` from the counts."""
        arrivals = self.arrivals[source]
        while arrivals and now - arrivals[0][0] > RATE_WINDOW:
            _, count, bad = arrivals.popleft()
            self.arrived[source] -= count
            self.bad_arrivals[source] -= bad

    def matches(self, rec: LogRecord) -> bool:
        return not self.query_text or self.query_text in rec.line.lower()

    def set_filter(self, text: str) -> None:
        self.query_text = text.strip().lower()
        for source in SOURCES:
            matching = [r for r in self.store[source] if self.matches(r)][-MAX_LINES:]
            if source == self.log_view.source:
                self.log_view.replace_all(matching)
            else:  # a re-filtered feed shows its end: nothing is waiting below
                feed = self.feeds[source]
                feed.clear()
                feed.add(matching)
                feed.at_end = True
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
        self._forget(view.source, now)
        unset = self._unconfigured(view.source)
        if unset:
            # an empty tab that says "following" would read as "no lines logged"
            text = f"{view.source}: not followed — {unset} is not set in the configuration"
            show(self.query_one("#log-rate", Static), Content(text))
            return
        bad = self.bad_arrivals[view.source]  # counted as batches come and go: summing a
        # flood's arrivals on every drawing cost more than the drawing
        parts = [f"{view.source}: {self.arrived[view.source]}/min", f"{BAD} {bad}/min"]
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


def _by_source(records: Sequence[LogRecord]) -> dict[str, list[LogRecord]]:
    """`records` by source, in order (a batch mostly comes from one source)."""
    sources = {r.source for r in records}
    if len(sources) == 1:
        return {sources.pop(): list(records)}
    by_source: dict[str, list[LogRecord]] = {}
    for rec in records:
        by_source.setdefault(rec.source, []).append(rec)
    return by_source


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
