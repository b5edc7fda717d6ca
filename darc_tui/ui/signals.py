"""SIGTERM and SIGHUP end the console the way `q` does: the engine stops and the terminal is
restored (alternate screen and mouse tracking off) instead of the process dying mid-screen."""

from __future__ import annotations

import asyncio
import signal
from functools import partial
from typing import Any

from textual.app import App

STOP_SIGNALS = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig
)


class ExitOnSignals:
    """Installed while the app runs; the handlers that were there before come back afterwards
    (the demo's own handlers still stop its lab once the console is gone)."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            previous = signal.getsignal(sig)
            try:
                loop.add_signal_handler(sig, partial(self.app.exit, return_code=128 + sig))
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # no signal support here (another platform, not the main thread)
            self._previous[sig] = previous

    def remove(self) -> None:
        loop = asyncio.get_running_loop()
        for sig, previous in self._previous.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, previous)
        self._previous.clear()
