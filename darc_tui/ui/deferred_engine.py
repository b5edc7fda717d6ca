"""The console's engine, built once the first frame is on screen.

Importing the engine (probes, diagnosis rules, hosts, httpx: ≈ 0.7 s of a 2 s start) before
Textual drew anything kept the operator looking at a blank terminal. This stand-in has the
engine's surface at once (an empty snapshot: the panes say "waiting", as they do until the first
probe answers anyway) and builds the real engine in a task started by `start()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from darc_tui.config import Config
    from darc_tui.hosts.base import Host
    from darc_tui.model import LogRecord, Snapshot
    from darc_tui.ui.engine_link import EngineApi

FIRST_FRAME = 0.05  # seconds the event loop gets to draw before the imports block it


class _NoLogs:
    def logs(self, source: str) -> list[LogRecord]:
        return []


class DeferredEngine:
    """EngineApi now; the engine from `build()` a moment after `start()`."""

    def __init__(self, config: Config, build: Callable[[], EngineApi]) -> None:
        self.config = config
        self.hosts: dict[str, Host] = {}  # filled when the engine exists (the reload key's hosts)
        self._build = build
        self._engine: EngineApi | None = None
        self._subscribers: list[Callable[[Snapshot], None]] = []
        self._log_subscribers: list[Callable[[Sequence[LogRecord]], None]] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def state(self) -> Any:
        return self._engine.state if self._engine is not None else _NoLogs()

    def subscribe(self, callback: Callable[[Snapshot], None]) -> None:
        self._subscribers.append(callback)
        if self._engine is not None:
            self._engine.subscribe(callback)

    def subscribe_logs(self, callback: Callable[[Sequence[LogRecord]], None]) -> None:
        self._log_subscribers.append(callback)
        if self._engine is not None:
            self._engine.subscribe_logs(callback)

    def snapshot(self) -> Snapshot:
        if self._engine is not None:
            return self._engine.snapshot()
        from darc_tui.model import Snapshot, Verdict  # not before the first frame: 20 ms

        return Snapshot(time.time(), (), (), (), Verdict.OK)

    def probe_now(self) -> None:
        if self._engine is not None:
            self._engine.probe_now()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._start(), name="engine build")

    async def _start(self) -> None:
        await asyncio.sleep(FIRST_FRAME)
        engine = self._build()
        self.hosts.update(getattr(engine, "hosts", {}))
        for callback in self._subscribers:
            engine.subscribe(callback)
        for log_callback in self._log_subscribers:
            engine.subscribe_logs(log_callback)
        self._engine = engine
        await engine.start()
        for callback in self._subscribers:  # host states before the first probe answers
            callback(engine.snapshot())

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._engine is not None:
            await self._engine.stop()
