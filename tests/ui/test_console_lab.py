"""The console on the real engine and a real Envoy lab: it follows a backend going down."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from darc_tui.config import load_config
from darc_tui.engine import build_engine
from darc_tui.ui.app import DarcApp
from tests.lab.lab import Lab

DEADLINE = 30.0  # seconds: Envoy's health checks must notice first


async def until(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.2)


def cause_ids(app: DarcApp) -> list[str]:
    return [o.id for o in app.query_one("#causes-list", OptionList).options if o.id]


def host_health(app: DarcApp) -> list[str]:
    table = app.query_one("#clusters-table", DataTable)
    return [str(table.get_row(key)[1]).strip() for key in table.rows]


async def test_console_shows_a_healthy_lab_then_names_the_dead_backend(lab: Lab) -> None:
    config = load_config(lab.write_config())
    app = DarcApp(build_engine(config, with_logs=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: host_health(app) == ["✓ healthy"], "a healthy cluster host")
        assert cause_ids(app) == []
        lab.backend.down()
        await until(pilot, lambda: "backend.down" in cause_ids(app), "the backend.down cause")
        await until(pilot, lambda: host_health(app) != ["✓ healthy"], "the host turning unhealthy")
        await pilot.press("c")
        assert app.clipboard and str(lab.backend.port) in app.clipboard
