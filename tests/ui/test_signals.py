"""SIGHUP/SIGTERM end the console in every state: with the event loop pinned by CPU work and an
orderly exit that never finishes, the watchdog still ends the process (exit 128 + signal)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

PINNED = """
import asyncio, sys
from darc_tui.ui.signals import ExitOnSignals

class HungApp:  # an app whose orderly exit never completes (engine.stop hanging, pty gone)
    def exit(self, return_code=0):
        pass

async def main():
    ExitOnSignals(HungApp(), grace=0.5).install()
    print("ready", flush=True)
    while True:  # the event loop pinned by CPU work: loop.add_signal_handler would never run
        pass

asyncio.run(main())
"""


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_a_signal_ends_a_pinned_console_whose_exit_hangs(sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-c", PINNED], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 128 + sig  # the deadline; a hang fails here
    finally:
        proc.kill()
        proc.wait()


def test_a_second_signal_ends_it_at_once() -> None:
    script = PINNED.replace("grace=0.5", "grace=600")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # not a timing assertion: lets the first handler run before the second
        assert proc.poll() is None
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=30) == 128 + signal.SIGHUP
    finally:
        proc.kill()
        proc.wait()


HANGS_AFTER_THE_APP = """
import asyncio, threading
from darc_tui.ui.signals import ExitOnSignals

class App:
    def __init__(self):
        self.done = asyncio.Event()
    def exit(self, return_code=0):
        self.done.set()

async def main():
    app = App()
    signals = ExitOnSignals(app, grace=0.5)
    signals.install()
    # a worker that never returns (a blocked read in a thread): interpreter exit joins it
    threading.Thread(target=threading.Event().wait).start()
    print("ready", flush=True)
    await app.done.wait()
    signals.remove()  # the app's orderly exit is done; the process is not

asyncio.run(main())
"""


def test_a_signal_ends_the_process_even_when_it_hangs_after_the_app_is_gone() -> None:
    """A console outlived its killed tmux session for over an hour: the app exited on SIGHUP,
    unmounting disarmed the watchdog, and the process then hung on its way out."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HANGS_AFTER_THE_APP], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=30) == 128 + signal.SIGHUP
    finally:
        proc.kill()
        proc.wait()
