"""Screen images at 80x24, 100x30 and 160x48, healthy and faulted, and every modal screen (help,
details, timeline, reload confirm), with a fixed clock and fixed data.

Regenerate after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update`
and review the SVGs in tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import textual.constants
from textual.pilot import Pilot

from darc_tui.actions.plan import ReloadPlan
from darc_tui.actions.target import Method
from darc_tui.actions.validate import Validation
from darc_tui.ui.app import DarcApp
from darc_tui.ui.screens.reload_confirm import ReloadConfirmScreen
from tests.ui import scenarios
from tests.ui.conftest import publish
from tests.ui.fakes import FakeEngine

SnapCompare = Callable[..., bool]


def _app(kind: str, **config: Any) -> tuple[DarcApp, Callable[[Pilot[Any]], Any]]:
    engine = FakeEngine(scenarios.config(**config))
    app = DarcApp(engine, clock=scenarios.clock)

    async def feed(pilot: Pilot[Any]) -> None:
        if kind == "waiting":
            return
        # the same kind throughout, so no "new cause" toast covers the picture
        await publish(pilot, engine, *scenarios.history(kind))
        engine.publish_logs(scenarios.log_records())
        await publish(pilot, engine)

    return app, feed


@pytest.mark.parametrize(
    "size", [(80, 24), (100, 30), (160, 48)], ids=["80x24", "100x30", "160x48"]
)
@pytest.mark.parametrize("kind", ["healthy", "faulted"])
def test_console(snap_compare: SnapCompare, kind: str, size: tuple[int, int]) -> None:
    app, feed = _app(kind)
    assert snap_compare(app, terminal_size=size, run_before=feed)


def test_first_frame_before_any_probe(snap_compare: SnapCompare) -> None:
    app, feed = _app("waiting")
    assert snap_compare(app, terminal_size=(80, 24), run_before=feed)


def test_faulted_logs_pane_at_80x24(snap_compare: SnapCompare) -> None:
    app, feed = _app("faulted")
    assert snap_compare(app, terminal_size=(80, 24), run_before=feed, press=["5"])


def test_high_contrast_theme_in_256_colours(
    snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what a jump box over SSH usually offers: OpenSSH does not forward COLORTERM
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "256")
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "256")
    app, feed = _app("faulted", theme="high-contrast")
    assert snap_compare(app, terminal_size=(80, 24), run_before=feed)


@pytest.mark.parametrize(
    "keys",
    [["question_mark"], ["3", "enter"], ["h"]],
    ids=["help", "cause-details", "timeline"],
)
def test_modal(snap_compare: SnapCompare, keys: list[str]) -> None:
    app, feed = _app("faulted")
    assert snap_compare(app, terminal_size=(100, 30), run_before=feed, press=keys)


def test_reload_confirm_modal(snap_compare: SnapCompare) -> None:
    app, feed = _app("faulted")
    plan = ReloadPlan(
        host="edge",
        method=Method.HOT_RESTART,
        config_path="/etc/envoy/envoy.yaml",
        config_sha256="ab" * 32,
        validation=Validation(
            True, "configuration '/etc/envoy/envoy.yaml' OK", "", "envoy --mode validate -c …"
        ),
        diff=("cluster backend_cluster: endpoint 127.0.0.1:8081 → 127.0.0.1:8082",),
        action=("kill", "-HUP", "4242"),
        refusal=None,
        validate_ms=41.0,
        prepared_at=scenarios.clock(),
    )

    async def confirm(pilot: Pilot[Any]) -> None:
        await feed(pilot)
        app.push_screen(ReloadConfirmScreen(plan))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=confirm)
