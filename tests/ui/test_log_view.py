"""The Logs pane's line view (LogView over a LogFeed): the same rows as the Textual `Log` it
replaced, drawn from a cache, and the reader's place (picked line, following, unseen lines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.strip import Strip
from textual.widgets import Log

from darc_tui.model import LogRecord, Status
from darc_tui.ui.panes.log_feed import BAD, GAP, ODD, LogFeed, cells, display_line, marker
from darc_tui.ui.panes.log_view import LogView
from tests.ui import scenarios

STYLES = {Status.FAIL: Style(color="red", bold=True), Status.WARN: Style(color="yellow")}
MUTED = Style(color="grey50", italic=True)
SIZE = (60, 12)
HOSTILE = [
    LogRecord("access", "plain ascii line 200 ok", 1.0, {"status": 200}),
    LogRecord("access", "GET /x 503 upstream reset", 1.0, {"status": 503}),
    LogRecord("access", "GET /y 404", 1.0, {"status": 404, "flags": "NR"}),
    LogRecord("access", "12 lines dropped (display fell behind)", 1.0, gap=True),
    LogRecord("error", "wide 漢字テキスト and emoji 🚀 in a line", 1.0, {"level": "error"}),
    LogRecord("journal", "esc \x1b]52;c;aGk=\x07 bidi \u202e evil \x00 nul", 1.0, {}),
    LogRecord("access", "café ñ combining e\u0301 " + "x" * 150, 1.0, {"status": 200}),
    LogRecord("access", "tab\there and crlf\r\nline two", 1.0, {"level": "warning"}),
]


class OldMarkers(Highlighter):
    """The colouring of the replaced Log-based view, verbatim."""

    def __init__(self, styles: Mapping[str, Style]) -> None:
        self.styles = styles

    def highlight(self, text: Text) -> None:
        style = self.styles.get(text.plain[:1])
        if style is not None:
            text.stylize(style)


class OldLogView(Log):
    """The replaced view's drawing: Textual's Log, the marker highlighter, the picked row reversed."""

    DEFAULT_CSS = "OldLogView { background: transparent; }"

    def __init__(self, styles: Mapping[str, Style]) -> None:
        super().__init__(highlight=True, max_lines=2000)
        self.highlighter = OldMarkers(styles)
        self.selected: int | None = None

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if self.selected is not None and int(self.scroll_y) + y == self.selected:
            return strip.apply_style(Style(reverse=True))
        return strip


class Side(App[None]):
    """The old view and the new one, the same size, one above the other."""

    CSS = "OldLogView, LogView { height: 5; width: 40; }"

    def __init__(self) -> None:
        super().__init__()
        marks = {BAD: STYLES[Status.FAIL], ODD: STYLES[Status.WARN], GAP: MUTED}
        self.old = OldLogView(marks)
        self.new = LogView(LogFeed("access", 2000), id="new")

    def compose(self) -> ComposeResult:
        yield self.old
        yield self.new

    def on_mount(self) -> None:
        self.new.use_palette(STYLES, MUTED)


def rows(strips: Sequence[Strip]) -> list[list[tuple[str, Style | None]]]:
    return [[(seg.text, seg.style) for seg in strip] for strip in strips]


async def test_rows_are_drawn_exactly_as_textual_log_drew_them() -> None:
    """Old path vs new path on hostile lines (controls, bidi, wide and combining characters, a
    long line): same segments, same styles, same offsets, scrolled both ways, a row picked."""
    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        lines = [display_line(r) for r in HOSTILE]
        app.old.write_lines(lines)
        app.new.append(HOSTILE)
        await app.workers.wait_for_complete()  # Log measures its lines' width in a thread
        await pilot.pause()
        assert list(app.new.lines) == lines
        assert app.new.virtual_size == app.old.virtual_size == Size(max(map(cells, lines)), 8)
        for x, y, picked in ((0, 0, None), (0, 3, 4), (7, 2, 3), (30, 3, None), (0, 3, 6)):
            app.new.follow()
            app.old.selected = picked
            if picked is not None:
                app.new.action_select_line(picked - app.new._last_in_view())
            for view in (app.old, app.new):
                view.scroll_to(x, y, animate=False, immediate=True)
            await pilot.pause()
            assert app.new.selected == picked and app.new.scroll_offset == (x, y)
            for row in range(4):  # 5 rows, the last one the horizontal scrollbar
                old, new = app.old.render_line(row), app.new.render_line(row)
                assert rows([new]) == rows([old]), (x, y, row)
                assert new.text == old.text
                again = app.new.render_line(row)  # from the cache this time
                assert rows([again]) == rows([new])


async def test_a_line_built_unsanitised_is_drawn_sanitised() -> None:
    """LogRecord cleans its line; a record made around that (object.__setattr__) still draws
    no terminal control."""
    rec = LogRecord("access", "ok", 1.0, {})
    object.__setattr__(rec, "line", "evil \x1b]0;title\x07 \x9b31m")
    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        app.new.append([rec])
        await pilot.pause()
        text = app.new.render_line(0).text
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert text.startswith("  evil ␛]0;title␇ �31m")


async def test_marker_lines_take_the_palette_colour_of_their_glyph() -> None:
    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        app.new.append(HOSTILE[:4])
        app.new.scroll_to(0, 0, animate=False, immediate=True)
        await pilot.pause()
        colours = [app.new.render_line(y)._segments[0].style for y in range(4)]
        assert [marker(r) for r in HOSTILE[:4]] == [" ", BAD, ODD, GAP]
        assert all(style is not None for style in colours)
        assert colours[0].color != STYLES[Status.FAIL].color  # type: ignore[union-attr]
        assert colours[1].color == STYLES[Status.FAIL].color  # type: ignore[union-attr]
        assert colours[1].bold  # type: ignore[union-attr]
        assert colours[2].color == STYLES[Status.WARN].color  # type: ignore[union-attr]
        assert colours[3].italic  # type: ignore[union-attr]


async def test_following_scrolls_with_new_lines_and_a_reader_above_counts_them() -> None:
    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        view = app.new
        view.append([scenarios.access_line(i, 200, "-") for i in range(20)])
        await pilot.pause()
        assert view.is_vertical_scroll_end and view.scroll_y == 16 and view.unseen == 0
        view.append([scenarios.access_line(i, 200, "-") for i in range(20, 23)])
        assert view.scroll_y == 19 and view.unseen == 0  # followed at once
        view.scroll_to(y=2, animate=False, immediate=True)
        view.append([scenarios.access_line(i, 200, "-") for i in range(23, 30)])
        await pilot.pause()
        assert view.scroll_y == 2 and view.unseen == 7
        assert "16:00:02.000Z" in view.render_line(0).text
        assert "req-0005" in view.record_in_view().line  # type: ignore[union-attr]
        view.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert view.unseen == 0


async def test_picking_lines_and_following_again() -> None:
    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        view = app.new
        view.focus()
        view.append([scenarios.access_line(i, 200, "-") for i in range(20)])
        await pilot.pause()
        await pilot.press("up")  # the first move starts from the last line in view
        assert view.selected == 18
        await pilot.press("k", "k", "j")
        assert view.selected == 17 and "req-0017" in view.record_in_view().line  # type: ignore[union-attr]
        row = view.selected - int(view.scroll_y)
        assert all(seg.style and seg.style.reverse for seg in view.render_line(row))
        view.append([scenarios.access_line(i, 200, "-") for i in range(20, 2010)])
        assert view.selected == 7  # 10 lines fell out: the pick moved with its record
        assert "req-0017" in view.record_in_view().line  # type: ignore[union-attr]
        assert view.unseen == 1990 and view.line_count == 2000
        view.follow()
        await pilot.pause()
        assert view.selected is None and view.unseen == 0 and view.is_vertical_scroll_end
        assert "req-2009" in view.record_in_view().line  # type: ignore[union-attr]


async def test_each_feed_keeps_its_place_when_another_is_shown() -> None:
    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        view, access = app.new, app.new.feed
        errors = LogFeed("error", 2000)
        view.append([scenarios.access_line(i, 200, "-") for i in range(30)])
        view.scroll_to(y=4, animate=False, immediate=True)
        await pilot.pause()
        view.show_feed(errors)
        errors_lines = [LogRecord("error", f"error line {i}", 1.0, {}) for i in range(3)]
        view.append(errors_lines)
        access.add([scenarios.access_line(30, 200, "-")], following=access.at_end)
        await pilot.pause()
        assert view.source == "error" and view.render_line(0).text.startswith("  error line 0")
        assert access.unseen == 1 and not access.at_end  # its reader was above its end
        view.show_feed(access)
        await pilot.pause()
        assert view.scroll_y == 4 and "16:00:04.000Z" in view.render_line(0).text
        view.show_feed(errors)
        await pilot.pause()
        assert view.is_vertical_scroll_end and "error line 2" in view.render_line(2).text


def test_cells_counts_what_the_terminal_shows() -> None:
    from rich.cells import cell_len

    for line in (
        "  plain",
        "✗ 503",
        "≈ ── lines were lost here ── 3 lines",
        "▲ 漢字",
        "  🚀 x",
        "  e\u0301",
        "x",
    ):
        assert cells(line) == cell_len(line), line


def test_a_feed_drops_its_oldest_lines_and_keeps_ids_unique() -> None:
    feed = LogFeed("access", 5)
    feed.add([scenarios.access_line(i, 200, "-") for i in range(4)])
    ids = {feed.first_id + i: line for i, line in enumerate(feed.lines)}
    feed.add([scenarios.access_line(i, 200, "-") for i in range(4, 7)])
    assert len(feed.lines) == 5 and feed.first_id == 2 and "req-0002" in feed.lines[0]
    assert all(ids[k] == feed.lines[k - feed.first_id] for k in ids if k >= feed.first_id)
    feed.clear()
    feed.add([scenarios.access_line(9, 200, "-")])
    assert feed.first_id == 7  # a cleared feed never reuses an id


def test_a_gap_line_is_marked_as_a_gap_whatever_its_fields() -> None:
    rec = LogRecord("access", "3 lines dropped", 1.0, {"status": 503}, gap=True)
    assert marker(rec) == GAP and display_line(rec).startswith("≈ ── lines were lost here ──")


async def test_a_click_on_a_source_tab_shows_that_source() -> None:
    from darc_tui.ui.app import DarcApp
    from tests.ui.conftest import screen_text
    from tests.ui.fakes import FakeEngine

    engine = FakeEngine(scenarios.config())
    app = DarcApp(engine, clock=scenarios.clock)
    async with app.run_test(size=(80, 24)) as pilot:
        engine.publish_logs(scenarios.log_records())
        await pilot.press("5")
        await pilot.pause()
        await pilot.click("#tab-journal")
        await pilot.pause()
        assert app.logs_pane.active_view.source == "journal"
        assert "caught SIGHUP" in screen_text(app) and "journal: 1/min" in screen_text(app)
        await pilot.press("l")  # and l goes on from there
        await pilot.pause()
        assert app.logs_pane.active_view.source == "access"


async def test_a_mouse_selection_is_drawn_and_copied_as_textual_log_did() -> None:
    from textual.geometry import Offset
    from textual.selection import Selection

    app = Side()
    async with app.run_test(size=SIZE) as pilot:
        app.old.write_lines([display_line(r) for r in HOSTILE])
        app.new.append(HOSTILE)
        await app.workers.wait_for_complete()
        for view in (app.old, app.new):
            view.scroll_to(3, 1, animate=False, immediate=True)
        selection = Selection(Offset(4, 2), Offset(9, 3))
        app.screen.selections = {app.old: selection, app.new: selection}
        await pilot.pause()
        for row in range(4):
            assert rows([app.new.render_line(row)]) == rows([app.old.render_line(row)]), row
        assert app.new.get_selection(selection) == app.old.get_selection(selection)
        assert app.new.get_selection(selection) == ("T /y 404\n≈ ── line", "\n")
        app.screen.selections = {}
        await pilot.pause()
        assert rows([app.new.render_line(1)]) == rows([app.old.render_line(1)])
