"""Deploy markers on screen at 80x24: the header says which deploy and when, Health marks it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from darc_tui.model import DeployKind, DeployMarker
from darc_tui.ui.app import DarcApp
from tests.ui import scenarios
from tests.ui.conftest import screen_text
from tests.ui.fakes import FakeEngine

MakeApp = Callable[..., tuple[DarcApp, FakeEngine]]


async def test_header_and_health_pane_show_the_latest_deploy(make_app: MakeApp) -> None:
    app, engine = make_app()
    deploys = (
        DeployMarker(scenarios.T0 - 600, "edge", DeployKind.BACKEND_VERSION, "1 → 2"),
        DeployMarker(scenarios.T0 - 125, "edge", DeployKind.ENVOY_RESTARTED, "pid 1 → 2"),
        DeployMarker(scenarios.T0 - 120, "edge", DeployKind.CONFIG_CHANGED, "endpoints"),
    )
    engine.publish(dataclasses.replace(scenarios.healthy(), deploys=deploys))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "▲ deploy 2m05s ago: envoy restarted, config changed" in text, text
        assert "backend version" not in text  # an older deploy is not the latest
        assert "Health · connect/ttfb ▲ deploy 2m05s ago" in text


async def test_without_a_deploy_nothing_is_marked(make_app: MakeApp) -> None:
    app, engine = make_app()
    engine.publish(scenarios.healthy())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "deploy" not in screen_text(app)
