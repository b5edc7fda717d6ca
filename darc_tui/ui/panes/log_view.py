"""One followed log source as a fast `Log`: one line per record, a marker glyph for bad lines."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Log

from darc_tui.model import LogRecord, Status

GAP, BAD, ODD, PLAIN = "≈", "✗", "▲", " "
_WARN_LEVELS = {"warn", "warning"}


def marker(rec: LogRecord) -> str:
    """✗ for 5xx and error-level lines, ▲ for 4xx, response flags and warnings, ≈ for a gap.

    Decided from the fields the engine parsed; the UI reads no log syntax itself.
    """
    if rec.gap:
        return GAP
    if rec.broken:
        return BAD
    fields = rec.fields
    status = fields.get("status")
    level = str(fields.get("level", "")).lower()
    priority = fields.get("priority")
    flags = fields.get("flags")
    has_flags = bool(flags) and flags not in ("-", ("-",))
    if (isinstance(status, int) and status >= 400) or has_flags:
        return ODD
    if level in _WARN_LEVELS or priority == 4:
        return ODD
    return PLAIN


def display_line(rec: LogRecord, mark: str | None = None) -> str:
    """Exactly one non-empty display line per record (Log splits on any line break)."""
    text = " ⏎ ".join(rec.line.splitlines())
    if rec.gap and "not_shown" not in rec.fields:  # a flood's marker says what it is itself
        text = f"── lines were lost here ── {text}".rstrip()
    return f"{marker(rec) if mark is None else mark} {text}"


class MarkerHighlighter(Highlighter):
    """Colours a whole line by its marker glyph (colour is extra: the glyph says it already)."""

    def __init__(self) -> None:
        self.styles: Mapping[str, Style] = {}

    def highlight(self, text: Text) -> None:
        style = self.styles.get(text.plain[:1])
        if style is not None:
            text.stylize(style)


class LogView(Log):
    """A Log whose lines map 1:1 to records, with a selected line (`enter` shows its record).

    up/down (k/j) move the selection and stop following, like lnav; `f`/end follows again and
    drops the selection. With no selection `enter` shows the last line in view.
    """

    DEFAULT_CSS = """
    LogView { background: transparent; }
    """

    class Picked(Message):
        """The selected line changed (the pane's status line says picked or following)."""

    BINDINGS = [
        Binding("up,k", "select_line(-1)", "Line up", show=False),
        Binding("down,j", "select_line(1)", "Line down", show=False),
    ]

    def __init__(self, source: str, max_lines: int, *, id: str) -> None:
        super().__init__(highlight=True, max_lines=max_lines, id=id)
        self.source = source
        self.markers = MarkerHighlighter()
        self.highlighter = self.markers
        self.shown: deque[LogRecord] = deque(maxlen=max_lines)
        self.unseen = 0  # lines that arrived while scrolled away from the end
        self.selected: int | None = None  # index into `shown`; None = no line picked
        # lines for a view that is not on screen (another tab, another pane shown): written
        # when it shows. Log's write_lines changes its virtual size, and that asks for a layout
        # of the whole screen: one per second for the probes' own access-log lines.
        self.pending: deque[str] = deque(maxlen=max_lines)

    def use_palette(self, styles: Mapping[Status, Style], muted: Style) -> None:
        self.markers.styles = {BAD: styles[Status.FAIL], ODD: styles[Status.WARN], GAP: muted}
        self.refresh()

    def append(
        self,
        records: Sequence[LogRecord],
        marks: Sequence[str] | None = None,
        *,
        arrived: int | None = None,
    ) -> None:
        """Show `records` below the others. `arrived`: how many came, when only the newest
        (the view's max_lines) are passed in: the rest would be pushed out at once anyway."""
        if not records:
            return
        arrived = len(records) if arrived is None else arrived
        following = self.selected is None and self.is_vertical_scroll_end
        if marks is None:
            marks = [marker(r) for r in records]
        dropped = max(0, len(self.shown) + arrived - (self.shown.maxlen or 0))
        lines = [display_line(r, m) for r, m in zip(records, marks, strict=True)]
        if self.is_on_screen:
            self._write_pending()
            self.write_lines(lines)
        else:
            self.pending.extend(lines)
        self.shown.extend(records)
        if self.selected is not None:
            # Log drops its oldest lines past max_lines: the selection moves with its record
            self.selected = max(0, self.selected - dropped)
        if not following:
            self.unseen += arrived

    def on_show(self, event: events.Show) -> None:
        self._write_pending()

    def _write_pending(self) -> None:
        if self.pending:
            lines = list(self.pending)
            self.pending.clear()
            self.write_lines(lines)

    def replace_all(self, records: Iterable[LogRecord]) -> None:
        self.clear()
        self.pending.clear()
        self.shown.clear()
        self._select(None)
        self.append(list(records))
        self.unseen = 0  # a re-filtered view shows its end: nothing is waiting below
        self.scroll_end(animate=False, immediate=True)

    def follow(self) -> None:
        self._select(None)
        self.scroll_end(animate=False, immediate=True)
        self.unseen = 0

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.is_vertical_scroll_end and self.selected is None:
            self.unseen = 0

    def action_select_line(self, step: int) -> None:
        """Move the selection `step` lines (the first move starts from the last line in view)."""
        if not self.shown:
            return
        start = self._last_in_view() if self.selected is None else self.selected
        index = min(max(0, start + step), len(self.shown) - 1)
        self._select(index)
        self.scroll_to_region(Region(0, index, 1, 1), animate=False, immediate=True)

    def record_in_view(self) -> LogRecord | None:
        """The selected record, else the one on the last visible line (the newest when following)."""
        if not self.shown:
            return None
        return self.shown[self._last_in_view() if self.selected is None else self.selected]

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.selected is not None and int(self.scroll_y) + y == self.selected:
            return strip.apply_style(Style(reverse=True))
        return strip

    def _last_in_view(self) -> int:
        index = int(self.scroll_y) + max(1, self.scrollable_content_region.height) - 1
        return min(index, len(self.shown) - 1)

    def _select(self, index: int | None) -> None:
        # a picked line must stay put: new lines may not scroll it away
        self.auto_scroll = index is None
        if index != self.selected:
            self.selected = index
            self.post_message(self.Picked())
        self.refresh()
