"""UI test helpers: an app on a fake engine, publishing, and the screen as plain text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from darc_tui.model import Snapshot
from darc_tui.ui.app import DarcApp
from tests.ui import scenarios
from tests.ui.fakes import FakeEngine


def screen_text(app: DarcApp) -> str:
    """What the terminal shows right now, one line per row (styles dropped)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def publish(pilot: Pilot[Any], engine: FakeEngine, *snapshots: Snapshot) -> None:
    for snap in snapshots:
        engine.publish(snap)
        await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def make_app() -> Callable[..., tuple[DarcApp, FakeEngine]]:
    def make(**kw: Any) -> tuple[DarcApp, FakeEngine]:
        config = kw.pop("config", None) or scenarios.config()
        engine = FakeEngine(config)
        app = DarcApp(engine, clock=scenarios.clock, **kw)
        return app, engine

    return make
