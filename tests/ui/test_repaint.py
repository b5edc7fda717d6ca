"""A steady site repaints the cells that changed; it does not lay the screen out again."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static

from darc_tui.ui.panes.log_view import display_line
from darc_tui.ui.repaint import show
from tests.ui import scenarios
from tests.ui.conftest import publish, screen_text
from tests.ui.test_app import MakeApp


def count_layouts(app: App[Any]) -> list[int]:
    """Wrap the screen's layout pass with a counter (one list item per pass)."""
    screen, calls = app.screen, []
    original = screen._refresh_layout

    def counted(*args: Any, **kw: Any) -> None:
        calls.append(1)
        original(*args, **kw)

    screen._refresh_layout = counted  # type: ignore[method-assign]
    return calls


async def test_new_readings_of_a_healthy_site_need_no_layout_pass(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await publish(pilot, engine, scenarios.healthy(latency=12.0))
        await pilot.pause()
        layouts = count_layouts(app)
        for i, latency in enumerate((13.0, 14.0, 15.0, 16.0)):
            await publish(pilot, engine, scenarios.healthy(at=scenarios.T0 + i, latency=latency))
        assert "3.2ms/13ms" in screen_text(app)  # the newest reading (16 ms) is on screen …
        assert layouts == []  # … without a single layout pass


class OneStatic(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("", id="s")


async def test_show_skips_unchanged_content_and_lays_out_only_on_a_size_change() -> None:
    app = OneStatic()
    async with app.run_test(size=(40, 10)) as pilot:
        static = app.query_one("#s", Static)
        assert show(static, Content("12 ms"))
        await pilot.pause()
        layouts = count_layouts(app)
        assert not show(static, Content("12 ms"))  # same text, same look: nothing to do
        assert show(static, Content.styled("12 ms", "bold"))  # same text, new look: repaint
        assert show(static, Content("13 ms"))
        await pilot.pause()
        assert layouts == []
        assert show(static, Content("13 ms\nsecond line"))  # one more row: the layout moves
        await pilot.pause()
        assert layouts
        assert "second line" in "\n".join(s.text for s in app.screen._compositor.render_strips())


async def test_log_lines_for_a_hidden_logs_pane_wait_without_a_layout_pass(
    make_app: MakeApp,
) -> None:
    """The probes' own requests log a line a second: while the Logs pane is not shown they are
    kept for it, and a new line count resizes only the view's scrollbars (a layout of the whole
    screen per line was what Textual's Log asked for)."""
    app, engine = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await publish(pilot, engine, scenarios.healthy(latency=12.0))
        await pilot.pause()
        layouts = count_layouts(app)
        for i in range(5):
            engine.publish_logs([scenarios.access_line(i, 200, "-")])
            await pilot.pause()
        feed = app.logs_pane.feed("access")
        assert layouts == [] and len(feed.shown) == 5
        await pilot.press("5")
        await pilot.pause()
        assert list(feed.lines) == [display_line(r) for r in feed.shown]
        assert "16:00:04.000Z" in screen_text(app)
        layouts.clear()
        for i in range(5, 40):  # more lines than the view has rows, on screen this time
            engine.publish_logs([scenarios.access_line(i, 200, "-")])
            await pilot.pause()
        assert layouts == [] and "16:00:39.000Z" in screen_text(app)
        assert app.logs_pane.active_view.is_vertical_scroll_end


async def test_next_log_source_needs_no_layout_and_keeps_the_focus(make_app: MakeApp) -> None:
    """`l` swaps the lines the Logs view draws: no widget is shown or hidden (a layout of the
    whole screen) and the focus does not move (a restyle of the pane and a new footer)."""
    app, engine = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        engine.publish_logs(scenarios.log_records())
        await pilot.press("5")
        await pilot.pause()
        view = app.logs_pane.active_view
        focused: list[object] = []
        app.screen.set_focus = focused.append  # type: ignore[assignment,method-assign]
        layouts = count_layouts(app)
        for source, seen in (("error", "[debug][pool]"), ("journal", "caught SIGHUP")):
            await pilot.press("l")
            await pilot.pause()
            text = screen_text(app)
            assert view.source == source and f"{source}: 1/min" in text and seen in text
        await pilot.press("l")
        await pilot.pause()
        assert view.source == "access" and "16:00:11.000Z" in screen_text(app)
        assert layouts == [] and focused == [] and app.focused is view


async def test_envoy_uptime_is_shown_as_of_the_snapshot_not_of_an_old_reading(
    make_app: MakeApp,
) -> None:
    """A calm site reads server_info every 20 s: "up 7s" from a 25-second-old reading of a
    long-running Envoy read like a restart. The uptime is carried forward to the snapshot."""
    app, engine = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        snap = scenarios.healthy(at=scenarios.T0 - 1)  # server_info: up 11 520 s at T0 - 1
        await publish(pilot, engine, dataclasses.replace(snap, taken_at=scenarios.T0 + 59))
        body = str(app.query_one("#envoy-body", Static).content)
        assert "up 3h13m" in body  # 11 520 s + 60 s = 3h13m, not the reading's 3h12m
