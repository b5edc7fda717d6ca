"""The replay engine publishes recorded snapshots like the live engine: play, pause, step, seek."""

from __future__ import annotations

import asyncio

from darc_tui.config import Config
from darc_tui.model import Snapshot, Verdict
from darc_tui.recording.reader import Frame
from darc_tui.recording.replay import ReplayEngine


def frames(n: int, gap: float = 0.01) -> list[Frame]:
    return [Frame(i * gap, Snapshot(1000.0 + i * gap, (), (), (), Verdict.OK, rounds=i))
            for i in range(n)]  # fmt: skip


async def test_playing_publishes_every_frame_in_order_then_stops_at_the_end() -> None:
    engine = ReplayEngine(Config(), frames(20), speed=4.0)
    seen: list[int] = []
    engine.subscribe(lambda snap: seen.append(snap.rounds))
    await engine.start()
    async with asyncio.timeout(10):
        while not (engine.at_end and not engine.playing):
            await asyncio.sleep(0.01)
    await engine.stop()
    assert list(dict.fromkeys(seen)) == list(range(20))
    assert engine.now() == engine.frames[-1].snapshot.taken_at


async def test_step_pauses_and_seek_jumps_by_recorded_time() -> None:
    engine = ReplayEngine(Config(), frames(100, gap=1.0))
    seen: list[int] = []
    engine.subscribe(lambda snap: seen.append(snap.rounds))
    await engine.start()
    engine.step(1)
    assert not engine.playing and engine.index == 1
    engine.step(-5)
    assert engine.index == 0
    engine.seek(30)
    assert engine.position == 30.0
    engine.seek(-100)
    assert engine.position == 0.0
    engine.seek(1000)
    assert engine.at_end
    await asyncio.sleep(0.05)  # paused: nothing moves by itself
    assert engine.at_end and seen[-1] == 99
    await engine.stop()


async def test_speed_moves_through_the_steps_and_stays_in_bounds() -> None:
    engine = ReplayEngine(Config(), frames(2), speed=1.0)
    for _ in range(20):
        engine.faster(True)
    assert engine.speed == 64.0
    for _ in range(20):
        engine.faster(False)
    assert engine.speed == 0.25


async def test_the_replay_console_plays_steps_and_lists_its_keys_in_help() -> None:
    from darc_tui.ui.replay_app import ReplayApp
    from darc_tui.ui.screens.help import HelpScreen
    from tests.ui.conftest import screen_text

    engine = ReplayEngine(Config(), frames(50, gap=1.0))
    app = ReplayApp(engine, Config())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")  # pause
        await pilot.pause()
        assert not engine.playing and "⏸ REPLAY" in screen_text(app)
        await pilot.press("full_stop", "full_stop", "right_square_bracket")
        await pilot.pause()
        assert engine.index == engine.times.index(engine.position) and engine.position >= 30.0
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "play or pause the recording" in text and "run every probe now" not in text
