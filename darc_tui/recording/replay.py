"""A recording played back as an engine: it publishes the recorded Snapshots to subscribers the way
the live engine does, so the console renders a replay through its one render path.

Controls (the replay console's keys call these): play/pause, step, speed, seek. The clock is the
recording's own time at the current frame, so ages on screen read as they did live.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import Callable, Sequence

from darc_tui.config import Config
from darc_tui.model import LogRecord, Snapshot
from darc_tui.recording.reader import Frame

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
MAX_WAIT = 5.0  # a quiet stretch of the recording is played at most this long (seconds)


class _NoLogs:
    """A recording holds evidence and findings, not log lines."""

    def logs(self, source: str) -> list[LogRecord]:
        return []


class ReplayEngine:
    """What the console needs of an engine (darc_tui.ui.engine_link.EngineApi), from frames."""

    def __init__(self, config: Config, frames: Sequence[Frame], *, speed: float = 1.0) -> None:
        if not frames:
            raise ValueError("a replay needs at least one frame")
        self.config = config
        self.frames = list(frames)
        self.times = [f.t for f in self.frames]
        self.index = 0
        self.speed = speed
        self.playing = True
        self.state = _NoLogs()
        self._subscribers: list[Callable[[Snapshot], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    # -- the engine surface --------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Snapshot], None]) -> None:
        self._subscribers.append(callback)

    def subscribe_logs(self, callback: Callable[[Sequence[LogRecord]], None]) -> None:
        """Nothing to deliver: a recording has no log lines."""

    def snapshot(self) -> Snapshot:
        return self.frames[self.index].snapshot

    def probe_now(self) -> None:
        """Nothing is probed in a replay."""

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._play(), name="replay")
        self._publish()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # -- position ------------------------------------------------------------------------------
    @property
    def position(self) -> float:
        return self.times[self.index]

    @property
    def length(self) -> float:
        return self.times[-1]

    @property
    def at_end(self) -> bool:
        return self.index == len(self.frames) - 1

    def now(self) -> float:
        """The recording's time at the current frame (the console's clock in a replay)."""
        return self.snapshot().taken_at

    # -- controls ------------------------------------------------------------------------------
    def toggle(self) -> None:
        self.playing = not self.playing
        if self.playing and self.at_end:
            self.index = 0  # play again from the start
            self._publish()
        self._poke()

    def step(self, frames: int) -> None:
        """Pause and move `frames` frames (negative: back)."""
        self.playing = False
        self._go(self.index + frames)

    def seek(self, seconds: float) -> None:
        """Jump `seconds` forward (negative: back) in recording time."""
        self._go(bisect.bisect_left(self.times, self.position + seconds))

    def faster(self, up: bool) -> None:
        i = bisect.bisect_left(SPEEDS, self.speed)
        self.speed = SPEEDS[min(len(SPEEDS) - 1, i + 1)] if up else SPEEDS[max(0, i - 1)]
        self._poke()

    def _go(self, index: int) -> None:
        index = max(0, min(len(self.frames) - 1, index))
        if index != self.index:
            self.index = index
            self._publish()
        self._poke()

    # -- playing -------------------------------------------------------------------------------
    async def _play(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            wait = None
            if self.playing and not self.at_end:
                gap = self.times[self.index + 1] - self.position
                wait = min(MAX_WAIT, max(0.0, gap)) / self.speed
            elif self.playing:
                self.playing = False  # the end: stay on the last frame
                self._publish()
            try:
                async with asyncio.timeout(wait):
                    await self._wake.wait()
                continue  # a control changed position or speed: recompute the wait
            except TimeoutError:
                pass
            if self.playing and not self.at_end:
                self.index += 1
                self._publish()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _publish(self) -> None:
        snap = self.snapshot()
        for callback in list(self._subscribers):
            callback(snap)
