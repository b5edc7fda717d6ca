"""The dialogs at 80x24: everything they hold is reachable, and their footer names their own keys."""

from __future__ import annotations

from collections.abc import Callable

from darc_tui.demo.console import DemoApp
from darc_tui.ui.app import DarcApp
from darc_tui.ui.screens.details import DetailScreen, DetailView
from darc_tui.ui.screens.help import HelpScreen
from tests.ui import scenarios
from tests.ui.conftest import screen_text
from tests.ui.fakes import FakeEngine

MakeApp = Callable[..., tuple[DarcApp, FakeEngine]]
SIZE = (80, 24)
LEGEND = "≈ lines lost"  # the help screen's last line


async def test_help_scrolls_to_its_last_line_at_80x24_with_the_demo_keys() -> None:
    app = DemoApp(FakeEngine(scenarios.config()), switches=None, clock=scenarios.clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert LEGEND not in screen_text(app)  # taller than the screen: it must scroll
        await pilot.press("end")
        await pilot.pause()
        text = screen_text(app)
        assert LEGEND in text and "undo every fault" in text


async def test_a_long_detail_view_scrolls_and_its_footer_says_esc_closes(
    make_app: MakeApp,
) -> None:
    app, _ = make_app()
    rows = tuple((f"row{i}", f"value {i}") for i in range(40))
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DetailScreen(DetailView("Long", rows, command="ss -tlnp")))
        footer = ""
        for _ in range(50):  # the footer is drawn a few refreshes after the push on a busy machine
            await pilot.pause()
            footer = screen_text(app).splitlines()[-1]
            if footer.strip():
                break
        assert "esc Close" in footer and "c Copy command" in footer
        assert "Quit" not in footer  # q closes this dialog; the console's "q Quit" would lie
        await pilot.press("end")
        await pilot.pause()
        assert "row39" in screen_text(app)


async def test_the_too_small_message_names_the_new_size(make_app: MakeApp) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.resize_terminal(79, 24)
        await pilot.pause()
        assert "(now 79x24)" in screen_text(app)
