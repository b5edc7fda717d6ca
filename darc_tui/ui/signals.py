"""SIGTERM and SIGHUP end the console the way `q` does: the engine stops and the terminal is
restored (alternate screen and mouse tracking off) instead of the process dying mid-screen.

In every state: the handler is a plain Python signal handler (it runs between bytecodes even when
the event loop is busy, where `loop.add_signal_handler` waits for the loop), it asks the app to
exit from the loop's side, and it arms a watchdog thread that ends the process if the orderly exit
has not finished within EXIT_GRACE (a pty that is gone, an engine that does not stop). Consoles
stayed alive 6–23 minutes after their tmux session was killed before this. A second signal ends
the process at once. Once signalled, the watchdog stays armed until the process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from functools import partial
from types import FrameType
from typing import Any

from textual.app import App

STOP_SIGNALS = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig
)
EXIT_GRACE = 8.0  # seconds the orderly exit (engine stop, terminal restore) may take
# alternate screen off, mouse tracking off, cursor shown: what Textual would have written
_RESTORE = b"\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?25h"


class ExitOnSignals:
    """Installed while the app runs; the handlers that were there before come back afterwards
    (the demo's own handlers still stop its lab once the console is gone)."""

    def __init__(self, app: App[Any], grace: float = EXIT_GRACE) -> None:
        self.app = app
        self.grace = grace
        self._previous: dict[int, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watchdogs: list[threading.Timer] = []

    def install(self) -> None:
        self._loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            try:
                previous = signal.signal(sig, self._on_signal)
            except (ValueError, OSError):
                continue  # not the main thread, or no such signal here
            self._previous[sig] = previous

    def remove(self) -> None:
        """The app is gone: restore the handlers. After a signal the watchdog stays armed — the
        process must still end, and it can hang after the app (a thread that never returns is
        joined at interpreter exit): a console outlived its killed tmux session for an hour.
        The timers are daemon threads, so a process that ends sooner is not held by them."""
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        code = 128 + signum
        if self._watchdogs:  # the second signal: the operator means it
            _hard_exit(code)
        self._arm(code)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(partial(self.app.exit, return_code=code))

    def _arm(self, code: int) -> None:
        restore_then_exit = threading.Timer(self.grace, _hard_exit, args=(code,))
        # a write to a terminal nobody reads may block: the plain exit does not depend on it
        plain_exit = threading.Timer(self.grace + 1.0, os._exit, args=(code,))
        for timer in (restore_then_exit, plain_exit):
            timer.daemon = True
            timer.start()
            self._watchdogs.append(timer)


def _hard_exit(code: int) -> None:
    with contextlib.suppress(OSError, ValueError):
        if sys.__stdout__ is not None and sys.__stdout__.isatty():
            os.write(sys.__stdout__.fileno(), _RESTORE)
    os._exit(code)
