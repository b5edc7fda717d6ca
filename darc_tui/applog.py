"""Where darc-tui's own log goes: the tracebacks of bugs in probes, rules and subscribers.

The engine and the probes' failure boundaries turn a bug into ERROR evidence and log the
traceback on the `darc_tui` logger. `setup()` decides where that lands:
- `--log FILE`: appended to FILE, tracebacks included;
- the console without --log: a small rotating file in the state directory (stderr would tear the
  screen), `$DARC_TUI_STATE_DIR/darc-tui.log` or platformdirs' user state dir;
- headless commands without --log: one line per record on stderr, never a traceback.
The console adds Textual's handler in dev mode (`textual run --dev`) as well (darc_tui.ui.command).
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

LOGGER = "darc_tui"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STATE_DIR_ENV = "DARC_TUI_STATE_DIR"  # shared with darc_tui.actions.audit
CONSOLE_LOG = "darc-tui.log"
CONSOLE_LOG_BYTES = 1024 * 1024


class OneLine(logging.Formatter):
    """`darc-tui: internal error in darc_tui.engine.core: probe x failed: ValueError: …`."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"darc-tui: internal error in {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f": {type(exc).__name__}: {exc}"
        return text.replace("\n", " ") + " (run with --log FILE for the traceback)"


def setup(path: str | None, *, console: bool, stderr: TextIO | None = None) -> Path | None:
    """Route the `darc_tui` logger; returns the file it writes to (None: stderr or nowhere).

    Raises OSError when `path` cannot be opened for appending (a usage error)."""
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if getattr(h, "darc_owned", False)]:
        logger.removeHandler(old)
        old.close()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler: logging.Handler
    written: Path | None = None
    if path:
        written = Path(path)
        handler = logging.FileHandler(written, encoding="utf-8")  # opens now: errors surface now
        handler.setFormatter(logging.Formatter(FORMAT))
    elif console:
        handler, written = _state_file()
    else:
        handler = logging.StreamHandler(stderr or sys.stderr)
        handler.setFormatter(OneLine())
        handler.setLevel(logging.WARNING)
    handler.darc_owned = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    return written


def _state_file() -> tuple[logging.Handler, Path | None]:
    import platformdirs

    directory = Path(os.environ.get(STATE_DIR_ENV) or platformdirs.user_state_dir("darc-tui"))
    path = directory / CONSOLE_LOG
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path, maxBytes=CONSOLE_LOG_BYTES, backupCount=1, encoding="utf-8"
        )
    except OSError:
        return logging.NullHandler(), None  # nowhere to keep it: never onto the screen
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler, path
