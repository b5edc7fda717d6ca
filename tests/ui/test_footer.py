"""The footer lists the keys that work, and is rebuilt only when that list changes (a rebuild
mounts a dozen widgets and lays out the screen: it was most of what `l` cost in the Logs pane)."""

from __future__ import annotations

from collections.abc import Callable

from darc_tui.ui.app import DarcApp
from darc_tui.ui.footer import KeyFooter
from tests.ui.conftest import screen_text
from tests.ui.fakes import FakeEngine

MakeApp = Callable[..., tuple[DarcApp, FakeEngine]]
SIZE = (80, 24)


def footer_row(app: DarcApp) -> str:
    return screen_text(app).splitlines()[-1]


async def test_moving_the_focus_keeps_the_footer_when_its_keys_stay_the_same(
    make_app: MakeApp,
) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await pilot.pause()
        footer = app.query_one(KeyFooter)
        keys = list(footer.children)
        assert keys and "Pause" in footer_row(app)
        await pilot.press("l", "l", "up", "j", "l")
        await pilot.pause()
        assert all(a is b for a, b in zip(footer.children, keys, strict=True))  # not rebuilt
        await pilot.press("4")  # the clusters table: ⏎ is the table's own key there
        await pilot.pause()
        assert not any(a is b for a, b in zip(footer.children, keys, strict=False))
        assert "⏎ Details" in footer_row(app)


async def test_the_footer_shows_a_key_moved_by_the_keymap_at_once(make_app: MakeApp) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "p Pause" in footer_row(app)
        app.set_keymap({"pause": "P"})
        await pilot.pause()
        await pilot.pause()
        assert "P Pause" in footer_row(app) and "p Pause" not in footer_row(app)
        await pilot.press("P")
        await pilot.pause()
        assert app.paused


async def test_a_read_only_console_lists_no_reload_key(make_app: MakeApp) -> None:
    app, _ = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "l")
        await pilot.pause()
        assert "Reload" not in footer_row(app) and "Quit" in footer_row(app)
