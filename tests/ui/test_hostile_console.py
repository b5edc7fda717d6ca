"""The console under hostile outside text (Pilot): markup is shown as text, never run; no control
code point reaches the screen; the console keeps running and quits on q."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import msgspec

from darc_tui.model import Evidence, LogRecord, Snapshot, Status, Vantage
from darc_tui.ui.app import DarcApp
from darc_tui.ui.screens.details import DetailScreen
from tests.hostile import EVERYTHING, MARKUP, OSC52, unsafe_in
from tests.ui import scenarios
from tests.ui.conftest import publish, screen_text
from tests.ui.fakes import FakeEngine

MakeApp = Callable[..., tuple[DarcApp, FakeEngine]]
SIZE = (160, 40)


def hostile_snapshot() -> Snapshot:
    snap = scenarios.with_hosts(
        scenarios.faulted(),
        scenarios.host(18443),
        msgspec.structs.replace(scenarios.host(1), hostname=OSC52),
    )
    evil = [
        Evidence(
            f"evil.{i}",
            f"127.0.0.1:{i}",
            Vantage.JUMP,
            Status.FAIL,
            f"redirect Location: /login?next={text}",
            command=f"curl -sS http://127.0.0.1:{i}/ {text}",
            facts={"location": text},
            observed_at=scenarios.T0 - 1,
        )
        for i, text in enumerate((*MARKUP, EVERYTHING))
    ]
    return replace(snap, evidence=(*snap.evidence, *evil))


async def test_markup_and_escapes_in_probe_details_are_shown_as_text(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, hostile_snapshot())
        for pane in "123456":
            await pilot.press(pane)
            await pilot.pause()
            text = screen_text(app)
            assert unsafe_in(text) == [], pane
        await pilot.press("M")  # pane 6 maximised: every row shows
        await pilot.pause()
        text = screen_text(app)
        assert unsafe_in(text) == []
        assert "next=[/]" in text and "[@click=app.quit]" in text  # shown, not parsed
        assert app.is_running


async def test_a_hostile_probe_opens_in_details_and_copies_without_markup(
    make_app: MakeApp,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, hostile_snapshot())
        await pilot.press("6")
        await pilot.pause()
        await pilot.press("end")  # the last row: an evil.* probe (sorted after envoy.*)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert unsafe_in(screen_text(app)) == []
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        assert all(unsafe_in(str(n.message)) == [] for n in app._notifications)
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_hostile_log_lines_are_shown_safely(make_app: MakeApp) -> None:
    app, engine = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.faulted())
        line = f'127.0.0.1 "GET /[@click=app.quit]{EVERYTHING} HTTP/1.1" 503 UF'
        engine.publish_logs([LogRecord("access", line, scenarios.T0 - 1, {"path": EVERYTHING})])
        await pilot.press("5")
        await pilot.pause()
        await pilot.pause()
        assert unsafe_in(screen_text(app)) == []
        assert "[@click=app.quit]" in screen_text(app)
        assert app.is_running


async def test_a_host_named_with_markup_opens_in_details_without_crashing(
    make_app: MakeApp,
) -> None:
    from darc_tui.parse.clusters import HostStatus

    app, engine = make_app()
    evil = HostStatus("[/][@click=app.quit]" + OSC52, 1)
    snap = scenarios.with_hosts(scenarios.faulted(), evil)
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, snap)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "[/][@click=app.quit]" in text and unsafe_in(text) == []
        assert app.is_running


async def test_the_header_never_shows_a_password_from_the_backend_url(make_app: MakeApp) -> None:
    config = scenarios.config()
    config = replace(config, backend=replace(config.backend, url="http://ops:hunter2@127.0.0.1:1"))
    app, engine = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await publish(pilot, engine, scenarios.healthy())
        text = screen_text(app)
        assert "127.0.0.1:1" in text and "hunter2" not in text and "ops:" not in text
