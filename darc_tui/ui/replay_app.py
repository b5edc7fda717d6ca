"""The console on a recording: DarcApp with the replay engine and its keys (play/pause, step,
speed, seek). Same panes, same render path; only the header's "LIVE" becomes the position."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content

from darc_tui.config import Config
from darc_tui.recording.replay import ReplayEngine
from darc_tui.ui.app import DarcApp
from darc_tui.ui.keys import BINDINGS
from darc_tui.ui.screens.help import HelpScreen

SEEK_S = 30.0
_LIVE_ONLY = {"probe_now", "reload"}
REPLAY_BINDINGS: list[Binding] = [
    Binding("p", "play", "Play/Pause", tooltip="play or pause the recording", id="replay_play"),
    Binding("space", "play", "Play/Pause", show=False, id="replay_play_space"),
    Binding(
        "full_stop", "step(1)", "Step", key_display=".",
        tooltip="pause and show the next recorded update (, the previous)", id="replay_step",
    ),
    Binding("comma", "step(-1)", "Back", key_display=",", show=False, id="replay_back"),
    Binding(
        "right_square_bracket", "seek(30)", "+30s", key_display="]",
        tooltip="jump 30 s forward ([ back)", id="replay_seek",
    ),
    Binding("left_square_bracket", "seek(-30)", "-30s", key_display="[", show=False,
            id="replay_seek_back"),
    Binding("plus", "speed(1)", "Faster", key_display="+", tooltip="play faster (- slower)",
            id="replay_faster"),
    Binding("minus", "speed(0)", "Slower", key_display="-", show=False, id="replay_slower"),
]  # fmt: skip


class ReplayApp(DarcApp):
    # Textual merges these with DarcApp's: p is rebound, the live-only keys are hidden below
    BINDINGS: ClassVar[list[BindingType]] = list(REPLAY_BINDINGS)

    def __init__(self, engine: ReplayEngine, config: Config, *, note: str = "") -> None:
        super().__init__(engine, config=config, read_only=True, clock=engine.now)
        self.replay = engine
        self.note = note
        self.header.mode = self._position

    async def on_mount(self) -> None:
        await super().on_mount()
        if self.note:
            self.notify(self.note, title="recording cut", severity="warning", timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _LIVE_ONLY:
            return False  # nothing is probed or reloaded in a replay: hidden from the footer
        return super().check_action(action, parameters)

    def action_pause(self) -> None:
        self.action_play()

    def action_help(self) -> None:
        """The replay's keys first, then the console's (without the live-only ones)."""
        console = [b for b in BINDINGS if b.action not in _LIVE_ONLY | {"pause"}]
        self.push_screen(HelpScreen([*REPLAY_BINDINGS, *console], self.read_only))

    def _position(self) -> Content:
        r = self.replay
        word = "▶ REPLAY" if r.playing else ("■ END" if r.at_end else "⏸ REPLAY")
        where = f" {_clock(r.position)}/{_clock(r.length)} ×{r.speed:g}"
        return Content.styled(word, "bold reverse $accent") + Content(where)

    def _refresh_header(self) -> None:
        self.header.redraw()

    def action_play(self) -> None:
        self.replay.toggle()
        self._refresh_header()

    def action_step(self, frames: int) -> None:
        self.replay.step(frames)
        self._refresh_header()

    def action_seek(self, seconds: float) -> None:
        self.replay.seek(seconds)
        self._refresh_header()

    def action_speed(self, up: int) -> None:
        self.replay.faster(bool(up))
        self._refresh_header()


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def run_replay(engine: ReplayEngine, config: Config, *, mouse: bool, note: str = "") -> int:
    app = ReplayApp(engine, config, note=note)
    app.run(mouse=mouse)
    return app.return_code or 0
