"""`darc-tui demo`: the console (or `--check`, headless) on the embedded lab: a real local Envoy and
a demo backend, with keys that break and heal them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TextIO

from darc_tui.demo.envoy_process import EnvoyStartError
from darc_tui.demo.lab import DemoLab, EnvoyMissing

EXIT_USAGE = 2
STATE_DIR_ENV = "DARC_TUI_STATE_DIR"  # darc_tui.actions.audit: where reloads are audited


def run_demo(headless_check: bool, read_only: bool, mouse: bool) -> int:
    """Start the lab, run the console (or the headless fault tour), and always tear it down."""
    out = sys.stdout
    try:
        with _stop_on_signals(), _demo_lab(headless_check) as lab, _audit_into(lab.workdir):
            if headless_check:
                return _run_check(lab, out)
            return _run_console(lab, read_only=read_only, mouse=mouse)
    except EnvoyMissing as exc:
        print(f"darc-tui demo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (EnvoyStartError, TimeoutError) as exc:
        print(f"darc-tui demo: the lab did not start: {exc}", file=sys.stderr)
        return 1


@contextmanager
def _demo_lab(fast: bool) -> Iterator[DemoLab]:
    # --check runs every fault in turn: a faster health check and probe round keep it short.
    interval = 0.5 if fast else 1.0
    print("starting the demo lab (a real Envoy and a demo backend on loopback)…", file=sys.stderr)
    with DemoLab(probe_interval=interval, hc_interval=interval) as lab:
        print(f"demo lab in {lab.workdir} (config: {lab.config_path})", file=sys.stderr)
        yield lab


def _run_check(lab: DemoLab, out: TextIO) -> int:
    from darc_tui.demo.scenario import Scenario

    return asyncio.run(Scenario(lab, out).run())


def _run_console(lab: DemoLab, *, read_only: bool, mouse: bool) -> int:
    from darc_tui.demo.console import run_demo_console

    return run_demo_console(lab, read_only=read_only, mouse=mouse)


@contextmanager
def _audit_into(directory: Path) -> Iterator[None]:
    """Reloads of the throwaway lab are audited inside it, not in the user's real audit log."""
    previous = os.environ.get(STATE_DIR_ENV)
    os.environ[STATE_DIR_ENV] = str(directory)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(STATE_DIR_ENV, None)
        else:
            os.environ[STATE_DIR_ENV] = previous


class DemoStopped(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP: unwind so that every `finally` stops the lab.

    SIGINT too: left to asyncio.run, a Ctrl-C only cancels the main task, and a scenario step that
    absorbs the cancellation (a worker thread finishing its wait) ended the run with status 0.
    """


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    def stop(signum: int, _frame: FrameType | None) -> None:
        raise DemoStopped(signal.Signals(signum).name)

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
