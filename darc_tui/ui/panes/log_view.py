"""One followed log source as a fast `Log`: one line per record, a marker glyph for bad lines."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.widgets import Log

from darc_tui.model import LogRecord, Status

GAP, BAD, ODD, PLAIN = "≈", "✗", "▲", " "
_ERROR_LEVELS = {"emerg", "alert", "crit", "critical", "err", "error", "fatal"}
_WARN_LEVELS = {"warn", "warning"}


def marker(rec: LogRecord) -> str:
    """✗ for 5xx and error-level lines, ▲ for 4xx, response flags and warnings, ≈ for a gap.

    Decided from the fields the engine parsed; the UI reads no log syntax itself.
    """
    if rec.gap:
        return GAP
    fields = rec.fields
    status = fields.get("status")
    if isinstance(status, int) and status >= 500:
        return BAD
    level = str(fields.get("level", "")).lower()
    priority = fields.get("priority")
    if level in _ERROR_LEVELS or (isinstance(priority, int) and priority <= 3):
        return BAD
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
    if rec.gap:
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
    """A Log whose lines map 1:1 to records (so `enter` can show the record under the view)."""

    DEFAULT_CSS = """
    LogView { background: transparent; }
    """

    def __init__(self, source: str, max_lines: int, *, id: str) -> None:
        super().__init__(highlight=True, max_lines=max_lines, id=id)
        self.source = source
        self.markers = MarkerHighlighter()
        self.highlighter = self.markers
        self.shown: deque[LogRecord] = deque(maxlen=max_lines)
        self.unseen = 0  # lines that arrived while scrolled away from the end

    def use_palette(self, styles: Mapping[Status, Style], muted: Style) -> None:
        self.markers.styles = {BAD: styles[Status.FAIL], ODD: styles[Status.WARN], GAP: muted}
        self.refresh()

    def append(self, records: Sequence[LogRecord], marks: Sequence[str] | None = None) -> None:
        if not records:
            return
        following = self.is_vertical_scroll_end
        if marks is None:
            marks = [marker(r) for r in records]
        self.write_lines([display_line(r, m) for r, m in zip(records, marks, strict=True)])
        self.shown.extend(records)
        if not following:
            self.unseen += len(records)

    def replace_all(self, records: Iterable[LogRecord]) -> None:
        self.clear()
        self.shown.clear()
        self.append(list(records))
        self.unseen = 0  # a re-filtered view shows its end: nothing is waiting below
        self.scroll_end(animate=False, immediate=True)

    def follow(self) -> None:
        self.scroll_end(animate=False, immediate=True)
        self.unseen = 0

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.is_vertical_scroll_end:
            self.unseen = 0

    def record_in_view(self) -> LogRecord | None:
        """The record on the last visible line (the newest one while following)."""
        if not self.shown:
            return None
        index = int(self.scroll_y) + max(1, self.scrollable_content_region.height) - 1
        return self.shown[min(index, len(self.shown) - 1)]
