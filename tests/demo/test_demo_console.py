"""The demo console on the real lab: a fault key puts its cause on screen, undo clears it, and
quitting leaves no process or file behind."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from darc_tui.demo.console import DemoApp, fault_bindings
from darc_tui.demo.faults import Switchboard
from darc_tui.demo.lab import DemoLab
from darc_tui.engine import build_engine
from darc_tui.ui.keys import BINDINGS as CONSOLE_BINDINGS
from tests.demo.procs import alive

DEADLINE = 30.0


async def until(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.2)


def cause_ids(app: DemoApp) -> list[str]:
    return [o.id for o in app.query_one("#causes-list", OptionList).options if o.id]


def screen_text(app: DemoApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def snapshot_causes(app: DemoApp) -> list[str] | None:
    return None if app.snapshot is None else [f.cause for f in app.snapshot.findings]


async def test_fault_key_shows_its_cause_undo_clears_it_and_quit_leaves_nothing(
    envoy_binary: Path,
) -> None:
    lab = DemoLab(probe_interval=0.5, hc_interval=0.5)
    lab.start()
    pids, workdir = lab.pids(), lab.workdir
    try:
        assert lab.config is not None
        app = DemoApp(build_engine(lab.config, with_logs=True), Switchboard(lab), config=lab.config)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: snapshot_causes(app) == [], "a healthy first diagnosis")
            bar = screen_text(app)
            assert (
                "DEMO  b down  a health 500  s slow  o overload  i bad yaml  e drift  u undo" in bar
            )

            await pilot.press("b")
            await until(pilot, lambda: cause_ids(app)[:1] == ["backend.down"], "backend.down")
            assert not lab.backend.is_up

            await pilot.press("u")
            await until(pilot, lambda: lab.backend.is_up, "the backend back up")
            await until(pilot, lambda: cause_ids(app) == [], "every cause cleared")

            await pilot.press("colon")
            await pilot.press(*"undo faults")
            await until(pilot, lambda: "Demo: Undo faults" in screen_text(app), "a palette hit")
            await pilot.press("escape")
            await pilot.press("q")
        assert app.return_code == 0
    finally:
        lab.close()
    assert pids and not [pid for pid in pids if alive(pid)]
    assert not workdir.exists()


def test_demo_keys_do_not_shadow_any_console_key() -> None:
    console_keys = {key for b in CONSOLE_BINDINGS for key in b.key.split(",")}
    demo_keys = [b.key for b in fault_bindings()]
    assert len(set(demo_keys)) == len(demo_keys)
    assert not console_keys & set(demo_keys)
