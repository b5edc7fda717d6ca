"""The Logs pane's lines: a line-API view of one LogFeed, one row per record, a marker glyph for bad
lines.

Textual's `Log` re-measured every written line in a thread worker per write (a regex and a cell
count each, then a call back into the loop), asked for a layout of the whole screen whenever its
line count changed, and drew every visible row anew on each frame. Here a row is drawn once per
(line, scroll, width) and cached; the width is counted as lines arrive (their length for ASCII);
a change of line count only resizes the scrollbars (`overflow: scroll` keeps both on screen, so
nothing else on screen moves). Switching feeds (access → error → journal) keeps the focus and the
layout where they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from darc_tui.model import LogRecord, Status
from darc_tui.ui.panes.log_feed import (
    BAD,
    GAP,
    ODD,
    PLAIN,
    LogFeed,
    cells,
    display_line,
    marker,
)

__all__ = ["BAD", "GAP", "ODD", "PLAIN", "LogView", "display_line", "marker"]

PICKED = Style(reverse=True)
DrawKey = tuple[str, int, int, int, bool]  # source, line id, scroll_x, width, picked


class LogView(ScrollView, can_focus=True):
    """Shows one LogFeed; its lines map 1:1 to records, with a selected line (`enter` shows it).

    up/down (k/j) move the selection and stop following, like lnav; `f`/end follows again and
    drops the selection. With no selection `enter` shows the last line in view.
    """

    ALLOW_SELECT = True
    DEFAULT_CSS = """
    LogView {
        background: transparent;
        color: $text;
        overflow: scroll;
        &:focus { background-tint: $foreground 5%; }
    }
    """

    class Picked(Message):
        """The selected line changed (the pane's status line says picked or following)."""

    BINDINGS = [
        Binding("up,k", "select_line(-1)", "Line up", show=False),
        Binding("down,j", "select_line(1)", "Line down", show=False),
    ]

    def __init__(self, feed: LogFeed, *, id: str) -> None:
        super().__init__(id=id)
        self.feed = feed
        self.marks: Mapping[str, Style] = {}  # marker glyph → the colour of its whole line
        self._drawn: LRUCache[DrawKey, Strip] = LRUCache(1024)

    # -- the feed shown ---------------------------------------------------------------------
    @property
    def source(self) -> str:
        return self.feed.source

    @property
    def shown(self) -> Sequence[LogRecord]:
        return self.feed.shown

    @property
    def lines(self) -> Sequence[str]:
        return self.feed.lines

    @property
    def line_count(self) -> int:
        return len(self.feed.lines)

    @property
    def unseen(self) -> int:
        return self.feed.unseen

    @property
    def selected(self) -> int | None:
        return self.feed.selected

    def show_feed(self, feed: LogFeed) -> None:
        """Show `feed` instead, where its reader left it (at its end if they were following)."""
        if feed is self.feed:
            return
        self.feed.scroll_y, self.feed.at_end = self.scroll_y, self.is_vertical_scroll_end
        self.feed = feed
        self._resize()
        if feed.at_end and feed.selected is None:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.scroll_to(y=feed.scroll_y, animate=False, immediate=True)
        self.refresh()

    def use_palette(self, styles: Mapping[Status, Style], muted: Style) -> None:
        self.marks = {BAD: styles[Status.FAIL], ODD: styles[Status.WARN], GAP: muted}
        self._drawn.clear()
        self.refresh()

    def append(
        self,
        records: Sequence[LogRecord],
        marks: Sequence[str] | None = None,
        *,
        arrived: int | None = None,
    ) -> None:
        """Show `records` below the others. `arrived`: how many came, when only the newest
        (the feed's size) are passed in: the rest would be pushed out at once anyway."""
        if not records:
            return
        following = self.feed.selected is None and self.is_vertical_scroll_end
        self.feed.add(records, marks, arrived=arrived, following=following)
        self._resize()
        if following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()  # the rows moved under the view even when it stays where it is

    def replace_all(self, records: Iterable[LogRecord]) -> None:
        self.feed.clear()
        self._select(None)
        self.feed.add(list(records))
        self._resize()
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def follow(self) -> None:
        self._select(None)
        self.scroll_end(animate=False, immediate=True)
        self.feed.unseen = 0

    def _resize(self) -> None:
        """The virtual size for the feed's lines, without a layout of the whole screen.

        Setting `virtual_size` asks for one (it is a layout reactive): with both scrollbars
        always shown nothing else can move, so the scrollbars are updated here instead, as the
        compositor's own size update does.
        """
        size = Size(self.feed.width, len(self.feed.lines))
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)

    # -- selection --------------------------------------------------------------------------
    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.is_vertical_scroll_end and self.feed.selected is None:
            self.feed.unseen = 0

    def action_select_line(self, step: int) -> None:
        """Move the selection `step` lines (the first move starts from the last line in view)."""
        if not self.feed.shown:
            return
        selected = self.feed.selected
        start = self._last_in_view() if selected is None else selected
        index = min(max(0, start + step), len(self.feed.shown) - 1)
        self._select(index)
        self.scroll_to_region(Region(0, index, 1, 1), animate=False, immediate=True)

    def record_in_view(self) -> LogRecord | None:
        """The selected record, else the one on the last visible line (the newest when following)."""
        shown, selected = self.feed.shown, self.feed.selected
        if not shown:
            return None
        return shown[self._last_in_view() if selected is None else selected]

    def _last_in_view(self) -> int:
        index = int(self.scroll_y) + max(1, self.scrollable_content_region.height) - 1
        return min(index, len(self.feed.shown) - 1)

    def _select(self, index: int | None) -> None:
        if index != self.feed.selected:
            self.feed.selected = index
            self.post_message(self.Picked())
        self.refresh()

    # -- drawing ----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()  # focus, theme: the base style of every row changed

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        feed = self.feed
        rich_style = self.rich_style
        if index >= len(feed.lines):
            return Strip.blank(width, rich_style)
        if self.text_selection is not None:
            strip = self._draw_selected(index, rich_style)
        else:
            key = (feed.source, feed.first_id + index, scroll_x, width, feed.selected == index)
            drawn = self._drawn.get(key)
            if drawn is None:
                drawn = self._draw(feed.lines[index], rich_style)
                drawn = drawn.crop_extend(scroll_x, scroll_x + width, rich_style)
                if key[-1]:
                    drawn = drawn.apply_style(PICKED)
                self._drawn[key] = drawn
            return drawn.apply_offsets(scroll_x, index)
        strip = strip.crop_extend(scroll_x, scroll_x + width, rich_style)
        if feed.selected == index:
            strip = strip.apply_style(PICKED)
        return strip.apply_offsets(scroll_x, index)

    def _text(self, line: str, rich_style: Style) -> Text:
        text = Text(line, no_wrap=True)
        text.stylize(rich_style)
        mark = self.marks.get(line[:1])
        if mark is not None:
            text.stylize(mark)
        return text

    def _draw(self, line: str, rich_style: Style) -> Strip:
        return Strip(self._text(line, rich_style).render(self.app.console), cells(line))

    def _draw_selected(self, index: int, rich_style: Style) -> Strip:
        """A row while the mouse selects text: the selected part in the screen's selection style."""
        line = self.feed.lines[index]
        text = self._text(line, rich_style)
        selection = self.text_selection
        span = selection.get_span(index) if selection is not None else None
        if span is not None:
            start, end = span
            style = self.screen.get_component_rich_style("screen--selection")
            text.stylize(style, start, len(text) if end == -1 else end)
        return Strip(text.render(self.app.console), cells(line))

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self.feed.lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._drawn.clear()
        self.refresh()
